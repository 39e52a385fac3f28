/*
 * upstream.c: HTTP calls to upstream model servers.  Everything that
 * reaches an upstream goes through upstream_call():
 *  - the URL is base_url from the configuration plus a fixed path; no
 *    field or header of a client's request can change it (the SSRF of
 *    CVE-2024-6587 was a client-supplied api_base);
 *  - only http and https are spoken, redirects are never followed, TLS
 *    is always verified;
 *  - the only credential sent is the upstream's own key from the
 *    configuration; nothing of the client's request headers is passed;
 *  - connect, first-byte, idle and total timeouts all apply, so no call
 *    can hold a worker thread forever.
 * A stream runs on the process's pump (pump.c), which moves the events
 * of every stream with one thread; a call with a single answer runs on
 * the calling thread itself, which has nothing else to do meanwhile and
 * saves the two thread switches of a hand-over.  Either way the thread
 * keeps one easy handle, whose connections stay alive for reuse.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "pump.h"
#include "upstream.h"

static pthread_once_t	 curl_once = PTHREAD_ONCE_INIT;
static CURLcode		 curl_init_rc = CURLE_FAILED_INIT;

/* What a transfer in progress knows; lives on upstream_call's stack. */
struct call {
	const struct upstream_req *req;
	struct upstream_res	*res;
	CURL			*h;
	long long		 start_ms;
	long long		 last_byte_ms;	/* 0: no byte yet */
	long long		 last_tick_ms;
	int			 timed_out;	/* an enum upstream_fail */
	int			 by_tick;	/* the tick ended the transfer */
};

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * Initialise libcurl for this process.  curl_global_init is not
 * thread-safe in every libcurl, so it runs once, before any thread
 * makes a handle.
 */
enum vn_err
upstream_global_init(void)
{
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		log_error("curl_global_init: %s",
		    curl_easy_strerror(curl_init_rc));
		return VN_ESYS;
	}
	return VN_OK;
}

/* Release a thread's upstream state (its easy handle); NULL is fine. */
void
upstream_thread_free(void *p)
{
	if (p != NULL)
		curl_easy_cleanup(p);
}


int
upstream_fail_is_timeout(enum upstream_fail f)
{
	return f == UP_TIMEOUT_CONNECT || f == UP_TIMEOUT_FIRST ||
	    f == UP_TIMEOUT_IDLE || f == UP_TIMEOUT_TOTAL;
}

const char *
upstream_fail_name(enum upstream_fail f)
{
	static const char *const names[] = {
		[UP_OK] = "ok",
		[UP_CONNECT] = "connect failed",
		[UP_TIMEOUT_CONNECT] = "connect timeout",
		[UP_TIMEOUT_FIRST] = "first byte timeout",
		[UP_TIMEOUT_IDLE] = "idle timeout",
		[UP_TIMEOUT_TOTAL] = "total timeout",
		[UP_BROKEN] = "connection broken",
		[UP_ABORTED] = "aborted",
	};

	return (size_t)f < VN_NELEM(names) ? names[f] : "?";
}

/*
 * Retry-After is seconds (or an HTTP date, which is ignored: upstreams
 * that throttle send seconds); retry-after-ms is milliseconds.  Returns
 * milliseconds, or -1 if the value is not usable.  Pure.
 */
long
upstream_parse_retry_after(const char *v, int in_ms)
{
	char	*end;
	double	 d;

	while (*v == ' ' || *v == '\t')
		v++;
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	d = strtod(v, &end);
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	if (errno != 0 || *end != '\0' || d < 0 || d > 86400000.0)
		return -1;
	return in_ms ? (long)d : (long)(d * 1000);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct call	*c = arg;
	size_t		 len = size * n;
	char		 line[256];
	long		 v;

	c->last_byte_ms = clock_ms();
	if (len < 8 || len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	if (strncasecmp(line, "HTTP/", 5) == 0)
		c->res->retry_after_ms = -1;	/* a new response begins */
	else if (strncasecmp(line, "retry-after-ms:", 15) == 0 &&
	    (v = upstream_parse_retry_after(line + 15, 1)) >= 0)
		c->res->retry_after_ms = v;
	else if (strncasecmp(line, "retry-after:", 12) == 0 &&
	    c->res->retry_after_ms < 0 &&
	    (v = upstream_parse_retry_after(line + 12, 0)) >= 0)
		c->res->retry_after_ms = v;
	return len;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct call	*c = arg;
	size_t		 len = size * n;
	long		 status = 0;
	enum vn_err	 rc;

	c->last_byte_ms = clock_ms();
	c->res->bytes += (long long)len;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	c->res->status = status;
	if (c->req->on_data == NULL)
		return len;
	if ((rc = c->req->on_data(c->req->arg, status, p, len)) != VN_OK) {
		c->res->cb_err = rc;
		return 0;	/* aborts the transfer at once */
	}
	return len;
}

/*
 * The pump's tick for this call: the first-byte and idle timeouts, and
 * the caller's tick (keepalives, a client that left).  Non-zero ends
 * the transfer.
 */
static int
on_tick(void *arg)
{
	struct call			*c = arg;
	const struct cfg_upstream	*up = c->req->up;
	long long			 now = clock_ms();
	enum vn_err			 rc;

	if (c->last_byte_ms == 0 &&
	    now - c->start_ms > up->first_byte_timeout_ms) {
		c->timed_out = UP_TIMEOUT_FIRST;
		return 1;
	}
	if (c->last_byte_ms != 0 &&
	    now - c->last_byte_ms > up->idle_timeout_ms) {
		c->timed_out = UP_TIMEOUT_IDLE;
		return 1;
	}
	if (c->req->on_tick != NULL && (rc = c->req->on_tick(c->req->arg,
	    c->last_byte_ms != 0)) != VN_OK) {
		c->res->cb_err = rc;
		return 1;
	}
	return 0;
}

/* libcurl's progress callback: the same tick, about once a second. */
static int
on_progress(void *arg, curl_off_t dlt, curl_off_t dln, curl_off_t ult,
    curl_off_t uln)
{
	struct call	*c = arg;
	long long	 now = clock_ms();

	(void)dlt; (void)dln; (void)ult; (void)uln;
	if (now - c->last_tick_ms < PUMP_TICK_MS)
		return 0;
	c->last_tick_ms = now;
	if (on_tick(c) == 0)
		return 0;
	c->by_tick = 1;
	return 1;
}

/*
 * The thread's handle.  It is not reset between calls: every option a
 * call uses is set on every call, and a reset would only free and
 * rebuild libcurl's internals (its connections survive either way).
 */
static CURL *
handle(void **slot)
{
	if (*slot == NULL)
		*slot = curl_easy_init();
	return *slot;
}

/*
 * Append a copy of line to *l.  On failure *l is left whole (a bare
 * curl_slist_append would lose it, and the lines after it would start
 * a new list without the ones before).
 */
static int
add_header(struct curl_slist **l, const char *line)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(*l, line)) == NULL)
		return 0;
	*l = n;
	return 1;
}

/*
 * POST req->body to req->up's base_url + req->path.  *slot is the
 * calling thread's handle (created on first use, kept for reuse).
 * Fills res; returns VN_OK when the call was made (res->fail and
 * res->status tell how it went), or an error when it could not even be
 * set up.  Blocks until the answer is complete or the call fails; the
 * callbacks run on req->pump's thread meanwhile.
 */
enum vn_err
upstream_call(void **slot, const struct upstream_req *req,
    struct upstream_res *res)
{
	struct curl_slist	*hdrs = NULL, *l;
	struct call		 c;
	CURL			*h;
	CURLcode		 cc;
	char			 url[2048], auth[4200], rid[64];
	long			 status = 0;
	int			 ok;
	enum vn_err		 rc = VN_OK;

	memset(res, 0, sizeof(*res));
	res->retry_after_ms = -1;
	if ((h = handle(slot)) == NULL)
		return VN_ENOMEM;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", req->up->base_url,
	    req->path) >= sizeof(url))
		return VN_ECONFIG;
	memset(&c, 0, sizeof(c));
	c.req = req;
	c.res = res;
	c.h = h;
	c.start_ms = c.last_tick_ms = clock_ms();

	if (!add_header(&hdrs, "Content-Type: application/json") ||
	    !add_header(&hdrs, req->stream ?
	    "Accept: text/event-stream" : "Accept: application/json") ||
	    !add_header(&hdrs, "Expect:")) {
		rc = VN_ENOMEM;
		goto out;
	}
	if (req->request_id != NULL) {
		snprintf(rid, sizeof(rid), "x-request-id: %s", req->request_id);
		if (!add_header(&hdrs, rid)) {
			rc = VN_ENOMEM;
			goto out;
		}
	}
	if (req->up->api_key != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    req->up->api_key);
		ok = add_header(&hdrs, auth);
		sodium_memzero(auth, sizeof(auth));
		if (!ok) {
			rc = VN_ENOMEM;
			goto out;
		}
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "venna/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)req->body_len);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    req->up->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->up->total_timeout_ms);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
	/* A streamed answer must reach the client as it comes. */
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 16384L);

	if (req->stream && req->pump != NULL) {
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
		cc = (CURLcode)pump_run(req->pump, h, on_tick, &c, req->out,
		    &c.by_tick);
	} else {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &c);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		cc = curl_easy_perform(h);
	}
	res->ms = (long)(clock_ms() - c.start_ms);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	res->status = status;
	switch (cc) {
	case CURLE_OK:
		res->fail = UP_OK;
		break;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
		/*
		 * Ours, not the upstream's: a 500 for this request, and no
		 * mark against an upstream that did nothing wrong.
		 */
		rc = VN_ENOMEM;
		goto out;
	case CURLE_WRITE_ERROR:
		res->fail = UP_ABORTED;
		break;
	case CURLE_ABORTED_BY_CALLBACK:
		res->fail = c.by_tick && c.timed_out != 0 ?
		    (enum upstream_fail)c.timed_out : UP_ABORTED;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		res->fail = status == 0 && c.last_byte_ms == 0 &&
		    res->ms < req->up->total_timeout_ms ? UP_TIMEOUT_CONNECT :
		    UP_TIMEOUT_TOTAL;
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_UNSUPPORTED_PROTOCOL:
		res->fail = UP_CONNECT;
		break;
	default:
		res->fail = status == 0 && res->bytes == 0 ? UP_CONNECT :
		    UP_BROKEN;
		break;
	}
	if (cc != CURLE_OK)
		snprintf(res->detail, sizeof(res->detail), "%s (curl %d: %s)",
		    upstream_fail_name(res->fail), (int)cc,
		    curl_easy_strerror(cc));
out:
	/* The handle keeps no pointer into this call once it returns. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	/* The upstream's key is in the list: wiped before it is freed. */
	for (l = hdrs; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
	return rc;
}
