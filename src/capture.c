/*
 * capture.c: the sink that keeps the answer (capture.h).
 */
#include "config.h"

#include <string.h>

#include "capture.h"
#include "ctx.h"
#include "reply.h"

static enum vn_err
c_head(struct sink *s, int status, const char *ctype, long long length,
    const char *extra, const char *request_id)
{
	struct capture	*k = (struct capture *)s;

	/* Only the status counts; the body is what is kept. */
	k->status = status;
	return VN_OK;
}

static enum vn_err
c_write(struct sink *s, const void *p, size_t n)
{
	struct capture	*k = (struct capture *)s;

	return buf_add(&k->body, p, n) == VN_OK ? VN_OK : VN_ETOOBIG;
}

static enum vn_err
c_flush(struct sink *s)
{
	return VN_OK;
}

static int
c_gone(struct sink *s)
{
	struct capture	*k = (struct capture *)s;

	return k->stop != NULL && k->stop(k->stop_arg);
}

/* Writes never block: the pump's thread may make them as they are. */
static struct fcgi_out *
c_pump_begin(struct sink *s, struct pump *p)
{
	return NULL;
}

static int
c_pump_end(struct sink *s)
{
	return 0;
}

static const struct sink_ops capture_ops = {
	c_head, c_write, c_flush, c_gone, c_pump_begin, c_pump_end
};

/* An empty capture keeping at most max bytes of body. */
void
capture_init(struct capture *k, size_t max)
{
	memset(k, 0, sizeof(*k));
	k->sink.ops = &capture_ops;
	k->status = 200;
	buf_init(&k->body, max);
}

void
capture_free(struct capture *k)
{
	buf_free(&k->body);
}

/*
 * Run handler fn on c, whose sink is k, the way the dispatcher runs it
 * for a client: afterwards k->status and k->body hold the answer, an
 * error envelope when it failed.  Returns what the handler returned.
 */
enum vn_err
capture_run(struct ctx *c, struct capture *k, ctx_handler fn)
{
	enum vn_err	 rc;

	rc = fn(c);
	if (rc != VN_OK && c->fault.err == VN_OK)
		c->fault.err = rc;
	if (rc != VN_OK && !c->headers_sent) {
		buf_reset(&k->body);
		(void)reply_error(c);
	}
	return rc;
}
