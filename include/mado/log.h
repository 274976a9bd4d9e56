/*
 * The operational log: one JSON object per line on stderr. It never carries personal data,
 * tokens, keys or certificates; callers pass route patterns and pseudonymous ids only.
 */
#ifndef MADO_LOG_H
#define MADO_LOG_H

#include <stdbool.h>

#include "mado/common.h"

enum mado_log_level { MADO_LOG_ERR, MADO_LOG_WARN, MADO_LOG_INFO, MADO_LOG_DEBUG };

void mado_log_set_level(enum mado_log_level level);
bool mado_log_enabled(enum mado_log_level level);
/* Parses "error", "warn", "info" or "debug"; -1 for anything else. */
int mado_log_parse_level(const char *name);

/* reqid may be NULL (not inside a request). */
void mado_log(enum mado_log_level level, const char *reqid, const char *fmt, ...) MADO_PRINTF(3, 4);

#define mado_log_err(reqid, ...)  mado_log(MADO_LOG_ERR, (reqid), __VA_ARGS__)
#define mado_log_warn(reqid, ...) mado_log(MADO_LOG_WARN, (reqid), __VA_ARGS__)
#define mado_log_info(reqid, ...)                                                                  \
	do {                                                                                       \
		if (mado_log_enabled(MADO_LOG_INFO))                                               \
			mado_log(MADO_LOG_INFO, (reqid), __VA_ARGS__);                             \
	} while (0)
#define mado_log_debug(reqid, ...)                                                                 \
	do {                                                                                       \
		if (mado_log_enabled(MADO_LOG_DEBUG))                                              \
			mado_log(MADO_LOG_DEBUG, (reqid), __VA_ARGS__);                            \
	} while (0)

/* The per-request line: time, request id, method, route pattern, status, duration and,
   when someone was recognised, who asked (actor, as the router names them; NULL or empty:
   left out). It leaves a few milliseconds later, with the lines of other requests
   (server/core/log.c). */
void mado_log_request(const char *reqid, const char *method, const char *route, int status,
		      double ms, const char *actor);
/* Returns once every line logged before it is written (and at exit). */
void mado_log_flush(void);

#endif
