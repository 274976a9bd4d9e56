/*
 * The operational log: JSON lines on stderr, whole lines only, so threads never
 * interleave. Lines are appended to a batch under a mutex and leave in one write(2) per
 * batch. A message (mado_log) is written at once, with whatever waits before it. Request
 * lines, one per request, are written by a flusher thread a few milliseconds after the
 * first of them arrives: a write(2) per line was most of what the log cost under load.
 * A crash loses at most those milliseconds of request lines, never a message.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"

#define LINE_MAX_BYTES 4096
#define BATCH_BYTES    65536
#define FLUSH_NS       2000000L /* how long the flusher lets request lines gather */

static pthread_mutex_t batch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t batch_cv = PTHREAD_COND_INITIALIZER; /* the flusher's: lines wait */
static char batch[2][BATCH_BYTES];                         /* one filled, one being written */
static size_t batch_used;
static int batch_cur;
static bool batch_writing;
static bool flusher_idle; /* waiting on batch_cv */
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;
static bool flusher_running;

static atomic_int log_level = MADO_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
mado_log_set_level(enum mado_log_level level)
{
	atomic_store(&log_level, (int)level);
}

bool
mado_log_enabled(enum mado_log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

int
mado_log_parse_level(const char *name)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static void
write_all(const char *buf, size_t len)
{
	ssize_t n;
	size_t off = 0;

	while (off < len) {
		n = write(STDERR_FILENO, buf + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Writes what the batch holds, and whatever is added meanwhile, unless a write is in
   progress (its writer takes it). Called and returns with batch_mu held. */
static void
drain_locked(void)
{
	int mine;
	size_t n;

	if (batch_writing)
		return;
	batch_writing = true;
	while (batch_used > 0) {
		mine = batch_cur;
		n = batch_used;
		batch_cur ^= 1;
		batch_used = 0;
		pthread_mutex_unlock(&batch_mu);
		write_all(batch[mine], n);
		pthread_mutex_lock(&batch_mu);
	}
	batch_writing = false;
}

void
mado_log_flush(void)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000L};

	pthread_mutex_lock(&batch_mu);
	while (batch_writing) { /* the lines it holds are out only when it is done */
		pthread_mutex_unlock(&batch_mu);
		nanosleep(&pause, NULL);
		pthread_mutex_lock(&batch_mu);
	}
	drain_locked();
	pthread_mutex_unlock(&batch_mu);
}

static void *
flusher(void *arg)
{
	struct timespec gather = {.tv_sec = 0, .tv_nsec = FLUSH_NS};

	(void)arg;
	pthread_mutex_lock(&batch_mu);
	for (;;) {
		while (batch_used == 0) {
			flusher_idle = true;
			pthread_cond_wait(&batch_cv, &batch_mu);
			flusher_idle = false;
		}
		pthread_mutex_unlock(&batch_mu);
		nanosleep(&gather, NULL);
		pthread_mutex_lock(&batch_mu);
		drain_locked();
	}
	return NULL;
}

static void
flusher_start(void)
{
	pthread_attr_t a;
	pthread_t t;

	if (pthread_attr_init(&a) != 0)
		return;
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, flusher, NULL) == 0) {
		flusher_running = true;
		atexit(mado_log_flush);
	}
	pthread_attr_destroy(&a);
}

/* Appends one finished line (a JSON object without the newline); now: written before
   this returns, or handed to the write under way, else by the flusher soon after. */
static void
write_line(const char *line, size_t len, bool now)
{
	char buf[LINE_MAX_BYTES + 1];
	bool was_empty;

	if (len > LINE_MAX_BYTES)
		len = LINE_MAX_BYTES;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	if (!now) {
		pthread_once(&flusher_once, flusher_start);
		now = !flusher_running; /* no thread to be had: as a message */
	}
	pthread_mutex_lock(&batch_mu);
	if (batch_used + len > BATCH_BYTES)
		drain_locked(); /* full: this thread writes it, unless a write is under way */
	if (batch_used + len > BATCH_BYTES) {
		/* The file is far behind: this line goes out on its own. */
		pthread_mutex_unlock(&batch_mu);
		write_all(buf, len);
		return;
	}
	was_empty = batch_used == 0;
	memcpy(batch[batch_cur] + batch_used, buf, len);
	batch_used += len;
	if (now)
		drain_locked();
	else if (was_empty && flusher_idle)
		pthread_cond_signal(&batch_cv);
	pthread_mutex_unlock(&batch_mu);
}

static size_t
line_start(char *buf, size_t cap, const char *level, const char *reqid)
{
	char ts[32];
	size_t len;

	mado_rfc3339_now(ts);
	len = (size_t)snprintf(buf, cap, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level);
	if (reqid != NULL) {
		len += (size_t)snprintf(buf + len, cap - len, ",\"req\":\"");
		len += mado_json_escape(buf + len, cap - len, reqid);
		len += (size_t)snprintf(buf + len, cap - len, "\"");
	}
	return len;
}

void
mado_log(enum mado_log_level level, const char *reqid, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES / 2], buf[LINE_MAX_BYTES];
	size_t len;
	va_list ap;

	if (!mado_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = line_start(buf, sizeof(buf) - 8, level_names[level], reqid);
	len += (size_t)snprintf(buf + len, sizeof(buf) - 8 - len, ",\"msg\":\"");
	len += mado_json_escape(buf + len, sizeof(buf) - 8 - len, msg);
	memcpy(buf + len, "\"}", 2);
	write_line(buf, len + 2, true);
}

/* A line built by hand: the request line is written on every request, and snprintf's
   parsing of its format was most of the line's cost. */
struct line {
	char *buf;
	size_t len, cap;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

#define PUT_LIT(l, s) put((l), (s), sizeof(s) - 1)

static void
put_escaped(struct line *l, const char *s)
{
	l->len += mado_json_escape(l->buf + l->len, l->cap - l->len, s);
}

static void
put_uint(struct line *l, unsigned long long v, int min)
{
	char d[24];

	put(l, d, mado_udec(d, v, min));
}

void
mado_log_request(const char *reqid, const char *method, const char *route, int status, double ms,
		 const char *actor)
{
	char buf[LINE_MAX_BYTES], ts[32];
	struct line l = {.buf = buf, .len = 0, .cap = sizeof(buf)};
	unsigned long long us = ms > 0 ? (unsigned long long)(ms * 1000.0 + 0.5) : 0;

	mado_rfc3339_now(ts);
	PUT_LIT(&l, "{\"ts\":\"");
	put(&l, ts, strlen(ts));
	PUT_LIT(&l, "\",\"level\":\"info\",\"req\":\"");
	put_escaped(&l, reqid);
	PUT_LIT(&l, "\",\"method\":\"");
	put_escaped(&l, method);
	PUT_LIT(&l, "\",\"route\":\"");
	put_escaped(&l, route);
	PUT_LIT(&l, "\",\"status\":");
	put_uint(&l, status > 0 ? (unsigned)status : 0, 1);
	PUT_LIT(&l, ",\"ms\":");
	put_uint(&l, us / 1000, 1);
	PUT_LIT(&l, ".");
	put_uint(&l, us % 1000, 3);
	if (actor != NULL && *actor != '\0') {
		PUT_LIT(&l, ",\"actor\":\"");
		put_escaped(&l, actor);
		PUT_LIT(&l, "\"");
	}
	PUT_LIT(&l, "}");
	write_line(buf, l.len, false);
}
