/*
 * Reading a request body whole, before anything else is done with the request, under one
 * deadline for the whole request.
 *
 * CivetWeb's mg_read waits up to request_timeout_ms for each piece, and a client that
 * sends a byte just before each wait runs out keeps it reading for as long as it likes.
 * So while a body is read, a timer of this thread's own interrupts it at the request's
 * deadline (and every 100 ms after, in case a signal came between two reads): the wait
 * inside mg_read returns early, and the router answers 408 and closes.
 */
#define _GNU_SOURCE /* gettid: the timer signals this thread, not the process */

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/util.h"
#include "http_int.h"

#define RESIGNAL_NS 100000000L

static _Thread_local timer_t thread_timer;
static _Thread_local bool thread_has_timer;
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;
static bool signal_ok;

static int
deadline_signal(void)
{
	return SIGRTMIN + 3;
}

static void
on_deadline(int sig)
{
	(void)sig; /* being delivered is the point: the wait in progress returns EINTR */
}

/* Without SA_RESTART, so that a blocked poll or read returns. */
static void
install_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_deadline;
	sigemptyset(&sa.sa_mask);
	signal_ok = sigaction(deadline_signal(), &sa, NULL) == 0;
}

/* Arms this thread's timer for the deadline; false if it cannot (then only the checks
   between reads hold the deadline). */
static bool
arm(int64_t deadline_ms)
{
	struct itimerspec its;
	struct sigevent sev;
	int64_t left = deadline_ms - mado_now_ms();

	pthread_once(&signal_once, install_signal);
	if (!signal_ok)
		return false;
	if (!thread_has_timer) {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = deadline_signal();
		sev._sigev_un._tid = gettid();
		if (timer_create(CLOCK_MONOTONIC, &sev, &thread_timer) != 0)
			return false;
		thread_has_timer = true;
	}
	if (left < 1)
		left = 1;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(left / 1000);
	its.it_value.tv_nsec = (long)(left % 1000) * 1000000L;
	its.it_interval.tv_nsec = RESIGNAL_NS;
	return timer_settime(thread_timer, 0, &its, NULL) == 0;
}

static void
disarm(void)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	(void)timer_settime(thread_timer, 0, &its, NULL);
}

/* Does the request's Content-Type name one of the route's media types (utf-8 only)? */
static bool
media_ok(const char *accepted, const char *ct)
{
	const char *semi, *a, *params;
	size_t n, an;

	if (ct == NULL)
		return false;
	semi = strchr(ct, ';');
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (semi != NULL) {
		/* The only parameter a body may carry is charset=utf-8. */
		params = semi + 1;
		while (*params == ' ')
			params++;
		if (strcasecmp(params, "charset=utf-8") != 0 &&
		    strcasecmp(params, "charset=\"utf-8\"") != 0)
			return false;
	}
	for (a = accepted; *a != '\0'; a += an) {
		while (*a == ' ')
			a++;
		an = strcspn(a, " ");
		if (an == n && strncasecmp(a, ct, n) == 0)
			return true;
	}
	return false;
}

int
http__read_body(struct mado_req *rq, long long cap)
{
	const char *media = rq->route->media != NULL ? rq->route->media : "application/json";
	long long cl = rq->ri->content_length; /* -1 when chunked */
	size_t got = 0;
	bool armed;
	int n;

	if (cl > cap) {
		/* Refuse before reading, and close: only a little of the rest is taken in. */
		rq->close = true;
		rq->unread_body = true;
		return mado_http_fail(rq, MADO_E_BODY_TOO_LARGE,
				      "this endpoint accepts at most %lld bytes", cap);
	}
	if (!media_ok(media, mado_http_req_header(rq, "Content-Type"))) {
		rq->close = cl < 0; /* an unread chunked body would be drained at any length */
		return mado_http_fail(rq, MADO_E_UNSUPPORTED_MEDIA_TYPE, "send %s; charset=utf-8",
				      media);
	}
	rq->body = mado_xmalloc((size_t)cap + 1);
	armed = arm(rq->deadline_ms);
	while (got <= (size_t)cap && mado_now_ms() < rq->deadline_ms) {
		n = mg_read(rq->conn, rq->body + got, (size_t)cap + 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (armed)
		disarm();
	if (mado_now_ms() >= rq->deadline_ms && (cl < 0 || got != (size_t)cl)) {
		rq->close = true;
		return MADO_E_REQUEST_TIMEOUT;
	}
	if (got > (size_t)cap) {
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BODY_TOO_LARGE,
				      "this endpoint accepts at most %lld bytes", cap);
	}
	if (cl >= 0 && got != (size_t)cl) {
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BAD_REQUEST, "the body ended early");
	}
	rq->body[got] = '\0';
	rq->body_len = got;
	return MADO_OK;
}

/*
 * Closing a socket with unread data in it makes the kernel reset the connection, and a
 * client still sending its body may then lose the answer already sent. So, as nginx's
 * lingering close does, what the client is still sending is read and discarded, for a
 * short while and up to a bound, before the connection closes.
 */
#define DRAIN_MS  1000
#define DRAIN_MAX (2 * 1024 * 1024)

void
http__drain(struct mado_req *rq)
{
	int64_t until = mado_now_ms() + DRAIN_MS;
	size_t total = 0;
	char buf[16384];
	bool armed = arm(until);
	int n;

	while (total < DRAIN_MAX && mado_now_ms() < until &&
	       (n = mg_read(rq->conn, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	if (armed)
		disarm();
}
