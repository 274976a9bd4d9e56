/*
 * The operational log: JSON lines on stderr, whole lines only, so threads never
 * interleave. Lines are appended to a batch under a mutex; the thread that finds no write
 * in progress writes the batch and whatever is added meanwhile, so under load one write(2)
 * carries many lines and threads do not queue on the file, and when idle each line goes
 * out at once. A line never waits for a later one: while the batch holds lines, a write
 * is in progress.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"

#define LINE_MAX_BYTES 4096
#define BATCH_BYTES    65536

static pthread_mutex_t batch_mu = PTHREAD_MUTEX_INITIALIZER;
static char batch[2][BATCH_BYTES]; /* one filled, one being written */
static size_t batch_used;
static int batch_cur;
static bool batch_writing;

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

void
mado_log_write_line(const char *line, size_t len)
{
	char buf[LINE_MAX_BYTES + 1];
	int mine;
	size_t n;

	if (len > LINE_MAX_BYTES)
		len = LINE_MAX_BYTES;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	pthread_mutex_lock(&batch_mu);
	if (batch_used + len > BATCH_BYTES) {
		/* The file is far behind: this line goes out on its own. */
		pthread_mutex_unlock(&batch_mu);
		write_all(buf, len);
		return;
	}
	memcpy(batch[batch_cur] + batch_used, buf, len);
	batch_used += len;
	if (batch_writing) { /* the writer in progress takes it */
		pthread_mutex_unlock(&batch_mu);
		return;
	}
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
	mado_log_write_line(buf, len + 2);
}

void
mado_log_request(const char *reqid, const char *method, const char *route, int status, double ms)
{
	char buf[LINE_MAX_BYTES];
	size_t len, cap = sizeof(buf) - 64;

	len = line_start(buf, cap, "info", reqid);
	len += (size_t)snprintf(buf + len, cap - len, ",\"method\":\"");
	len += mado_json_escape(buf + len, cap - len, method);
	len += (size_t)snprintf(buf + len, cap - len, "\",\"route\":\"");
	len += mado_json_escape(buf + len, cap - len, route);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\",\"status\":%d,\"ms\":%.3f}",
				status, ms);
	mado_log_write_line(buf, len);
}
