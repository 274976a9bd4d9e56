/*
 * JSON, one way each: the strict parser for what comes in (request bodies, Web eID tokens),
 * the one string escaper, and a streaming writer for the paths where building a cJSON tree
 * costs more than the work itself (access-log pages, log lines). Everything else is
 * written with cJSON.
 */
#ifndef MADO_JSON_H
#define MADO_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/common.h"
#include "mado/util.h"

/* Strict JSON (UTF-8, no NUL, no duplicate or case-variant keys, nothing after the value,
   depth <= 32). MADO_OK, or MADO_E_MALFORMED_JSON with a reason in detail. */
MADO_MUSTCHECK int mado_json_parse(const char *text, size_t len, cJSON **out, char *detail,
				   size_t detaillen);
/* The same, except that an escaped NUL (\u0000) in a string reads as U+FFFD instead of
   failing: Web eID tokens are judged field by field, as the reference validator does. */
MADO_MUSTCHECK int mado_json_parse_nul_replaced(const char *text, size_t len, cJSON **out,
						char *detail, size_t detaillen);

/*
 * The one escaper: s as the inside of a JSON string (no quotes) into out, never more than
 * cap-1 bytes and always NUL-terminated; a character that does not fit whole is left out.
 * Returns the bytes written. Six bytes of room per input byte always suffice.
 */
size_t mado_json_escape(char *out, size_t cap, const char *s);

/* cJSON members from database text: a string, or null for NULL; JSON text made by
   PostgreSQL (taken as it is), or the JSON fallback for NULL. */
void mado_json_put_str(cJSON *obj, const char *name, const char *s);
void mado_json_put_raw(cJSON *obj, const char *name, const char *json, const char *fallback);
/* A number from database text (a whole number, or fallback JSON for NULL). */
void mado_json_put_num(cJSON *obj, const char *name, const char *s, const char *fallback);

/*
 * Rows as JSON objects, by a map from members to the fields of the row's struct (as the
 * database row reader fills it): a map is written once per kind of row, and lists of rows
 * need no code of their own. A member "a.b" is b in the object a.
 */
enum mado_jtype {
	MADO_J_STR,  /* const char *: a string, or null */
	MADO_J_OPT,  /* const char *: a string, or no member at all */
	MADO_J_NUM,  /* const char *: a number as the database wrote it, or null */
	MADO_J_RAW,  /* const char *: JSON the database made, or the fallback */
	MADO_J_BOOL, /* bool */
};
struct mado_jmember {
	const char *name;
	enum mado_jtype type;
	size_t off;
	const char *fallback; /* MADO_J_RAW: for NULL ("null" when not set) */
};
#define MADO_JM(type, st, field, name)                                                             \
	{                                                                                          \
		(name), MADO_J_##type, offsetof(struct st, field), NULL                            \
	}
#define MADO_JM_RAW(st, field, name, fallback)                                                     \
	{                                                                                          \
		(name), MADO_J_RAW, offsetof(struct st, field), (fallback)                         \
	}
/* A row function (the database row reader's) that appends each row, as map says, to
   array: pass a struct mado_json_rows as its argument. */
struct mado_json_rows {
	cJSON *array;
	const struct mado_jmember *map;
	size_t n;
};
int mado_json_append_row(const void *row, int i, void *rows);

/* A streaming writer into a text buffer: it places the commas and colons. */
#define MADO_JW_DEPTH 8
struct mado_jw {
	struct mado_text *t;
	int depth;
	bool more[MADO_JW_DEPTH];  /* a value was written at this level */
	char close[MADO_JW_DEPTH]; /* the bracket that closes each level */
	bool key;                  /* a key was written; its value comes next */
};
void mado_jw_init(struct mado_jw *w, struct mado_text *t);
void mado_jw_open(struct mado_jw *w, char bracket); /* '{' or '[' */
void mado_jw_close(struct mado_jw *w);
void mado_jw_key(struct mado_jw *w, const char *key);
void mado_jw_str(struct mado_jw *w, const char *s); /* NULL writes null */
void mado_jw_strn(struct mado_jw *w, const char *s, size_t n);
void mado_jw_int(struct mado_jw *w, long long v);
void mado_jw_bool(struct mado_jw *w, bool v);
/* JSON text made elsewhere (PostgreSQL's json functions), or fallback when NULL. */
void mado_jw_raw(struct mado_jw *w, const char *json, const char *fallback);
/* key and value in one call. */
void mado_jw_kstr(struct mado_jw *w, const char *key, const char *s);

#endif
