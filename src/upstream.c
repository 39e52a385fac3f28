/*
 * upstream.c: libcurl, set up once per process and once per thread.
 * Everything that reaches an upstream goes through here: the URL comes
 * only from the configuration, redirects are never followed, only http
 * and https are spoken, and TLS is always verified.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "log.h"
#include "upstream.h"

static pthread_once_t	 curl_once = PTHREAD_ONCE_INIT;
static CURLcode		 curl_init_rc = CURLE_FAILED_INIT;

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
		log_error("curl_global_init: %s", curl_easy_strerror(curl_init_rc));
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
