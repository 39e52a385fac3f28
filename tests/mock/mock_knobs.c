/*
 * mock_knobs.c: the knobs that steer each response (knob_tab[]), parsed
 * from "name=value" strings (command line, the query part of "model")
 * and from the request body's "mock" object.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "mock.h"

#define KNOB(f)	offsetof(struct knobs, f)

static const struct knobdef {
	const char	*name;
	size_t		 off;		/* SIZE_MAX: the string knob "text" */
	long		 min, max;
} knob_tab[] = {
	/* ms before the response head. */
	{ "latency", KNOB(latency), 0, MAX_DELAY },
	/* ms, uniform 0..jitter added to latency and to each interval. */
	{ "jitter", KNOB(jitter), 0, MAX_DELAY },
	/* Content chunks in a stream (default 5). */
	{ "chunks", KNOB(chunks), 0, MAX_CHUNKS },
	/* ms before each content chunk (default 0). */
	{ "interval", KNOB(interval), 0, MAX_DELAY },
	/* >= 400: answer with this status and an error envelope. */
	{ "status", KNOB(status), 0, 599 },
	/* >= 0: send Retry-After: N (seconds). */
	{ "retry_after", KNOB(retry_after), -1, 86400 },
	/* >= 0: after N content chunks send half an event, then close. */
	{ "cut", KNOB(cut), -1, MAX_CHUNKS },
	/* 1: a 200 with a body that is not JSON; in streams, a bad event. */
	{ "garbage", KNOB(garbage), 0, 1 },
	/* 1: read the request, never answer. */
	{ "never", KNOB(never), 0, 1 },
	/* ms between the head and the first byte of body or stream. */
	{ "first_byte", KNOB(first_byte), 0, MAX_DELAY },
	/* 1: write each event in pieces 2 ms apart; N > 1: N ms apart. */
	{ "split", KNOB(split), 0, 1000 },
	/* 1: call the request's first tool. */
	{ "tool_calls", KNOB(tool_calls), 0, 1 },
	/* Pad the reply text to about N bytes. */
	{ "bytes", KNOB(bytes), 0, MAX_PAD },
	/* 1: stamp each stream event with "mock_ts" (unix us when sent). */
	{ "ts", KNOB(ts), 0, 1 },
	/* The reply text, instead of "mock reply to: ...". */
	{ "text", SIZE_MAX, 0, MAX_TEXT },
};

/* The knobs of a plain answer: no delays, no faults, 5 chunks. */
void
knobs_init(struct knobs *k)
{
	memset(k, 0, sizeof(*k));
	k->chunks = 5;
	k->cut = -1;
	k->retry_after = -1;
}

/* dst becomes a copy of src with its own "text"; dst was not holding one. */
void
knobs_copy(struct knobs *dst, const struct knobs *src)
{
	*dst = *src;
	if (src->text != NULL)
		dst->text = xstrndup(src->text, strlen(src->text));
}

/*
 * Set knob name (namelen bytes) from the string sv or, when sv is NULL,
 * from the JSON value jv (number, boolean or numeric string).  On error
 * writes a message to errbuf and returns -1.
 */
int
knobs_set(struct knobs *k, const char *name, size_t namelen, const char *sv,
    json_object *jv, char *errbuf, size_t errsz)
{
	const struct knobdef	*d = NULL;
	size_t			 i;
	long long		 v;
	char			*end;

	for (i = 0; i < sizeof(knob_tab) / sizeof(knob_tab[0]); i++)
		if (strlen(knob_tab[i].name) == namelen &&
		    memcmp(knob_tab[i].name, name, namelen) == 0)
			d = &knob_tab[i];
	if (d == NULL) {
		snprintf(errbuf, errsz, "unknown mock knob '%.*s'",
		    (int)(namelen > 64 ? 64 : namelen), name);
		return -1;
	}
	if (sv == NULL && (json_object_is_type(jv, json_type_string) ||
	    d->off == SIZE_MAX))
		sv = json_object_get_string(jv);
	if (d->off == SIZE_MAX) {
		if (sv == NULL || strlen(sv) > (size_t)d->max) {
			snprintf(errbuf, errsz, "mock knob 'text' needs a "
			    "string of at most %ld bytes", d->max);
			return -1;
		}
		free(k->text);
		k->text = xstrndup(sv, strlen(sv));
		return 0;
	}
	if (sv != NULL) {
		errno = 0;
		v = strtoll(sv, &end, 10);
		if (end == sv || *end != '\0' || errno != 0)
			v = LLONG_MIN;
	} else if (json_object_is_type(jv, json_type_int) ||
	    json_object_is_type(jv, json_type_boolean))
		v = json_object_get_int64(jv);
	else
		v = LLONG_MIN;
	if (v < d->min || v > d->max) {
		snprintf(errbuf, errsz, "mock knob '%s' needs an integer in "
		    "%ld..%ld", d->name, d->min, d->max);
		return -1;
	}
	*(long *)(void *)((char *)k + d->off) = (long)v;
	return 0;
}

/* Decode %XX and '+' of a query component in place. */
static void
url_decode(char *s)
{
	char	*w = s, hx[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*w++ = ' ';
		else if (*s == '%' && s[1] != '\0' && s[2] != '\0' &&
		    strchr("0123456789abcdefABCDEF", s[1]) != NULL &&
		    strchr("0123456789abcdefABCDEF", s[2]) != NULL) {
			hx[0] = s[1];
			hx[1] = s[2];
			*w++ = (char)strtol(hx, NULL, 16);
			s += 2;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

/* Apply "a=1&b=2" (URL-encoded) to k; -1 with errbuf set on error. */
static int
knobs_query(struct knobs *k, const char *q, char *errbuf, size_t errsz)
{
	char	*copy, *p, *next, *eq;
	int	 rc = 0;

	copy = xstrndup(q, strlen(q));
	for (p = copy; p != NULL && rc == 0; p = next) {
		next = strchr(p, '&');
		if (next != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL) {
			snprintf(errbuf, errsz, "mock knob '%.64s' has no "
			    "value", p);
			rc = -1;
			break;
		}
		*eq++ = '\0';
		url_decode(p);
		url_decode(eq);
		rc = knobs_set(k, p, strlen(p), eq, NULL, errbuf, errsz);
	}
	free(copy);
	return rc;
}

/*
 * The knobs for one request: defaults (the command line), then the query
 * part of the body's "model", then its "mock" object.  body may be NULL.
 * On error writes a message to errbuf and returns -1.
 */
int
knobs_resolve(struct knobs *k, const struct knobs *defaults, json_object *body,
    char *errbuf, size_t errsz)
{
	json_object	*v;
	const char	*model, *qm;

	free(k->text);
	knobs_copy(k, defaults);
	if (body == NULL || !json_object_is_type(body, json_type_object))
		return 0;
	if (json_object_object_get_ex(body, "model", &v) &&
	    json_object_is_type(v, json_type_string)) {
		model = json_object_get_string(v);
		qm = strchr(model, '?');
		if (qm != NULL && knobs_query(k, qm + 1, errbuf, errsz) == -1)
			return -1;
	}
	if (!json_object_object_get_ex(body, "mock", &v))
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		snprintf(errbuf, errsz, "'mock' must be an object");
		return -1;
	}
	json_object_object_foreach(v, key, val) {
		if (knobs_set(k, key, strlen(key), NULL, val, errbuf,
		    errsz) == -1)
			return -1;
	}
	return 0;
}
