/*
 * The input vocabulary: every value Mado takes from outside (request bodies, path
 * segments, query parameters, operator command arguments) is one of these kinds, checked
 * by this one piece of code. A field names a kind and its bounds; an object is a list of
 * fields. The router applies a route's fields before its handler runs, and the operator
 * commands apply the same kinds to their arguments.
 */
#ifndef MADO_CHECK_H
#define MADO_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/common.h"

enum mado_kind {
	MADO_K_CODE,      /* a data item, purpose or programme code: a-z first, then a-z 0-9 _ . -;
			     2 to 64 */
	MADO_K_ORG,       /* an organisation code: a-z first, then a-z 0-9 -; 2 to 40 */
	MADO_K_TOKEN,     /* 256 bits in base64url, 43 characters: pseudonyms, codes, grants */
	MADO_K_UUID,      /* 8-4-4-4-12 hex digits */
	MADO_K_ID,        /* a row id: a whole number from 1 */
	MADO_K_DATE,      /* YYYY-MM-DD, a real day */
	MADO_K_TIME,      /* an RFC 3339 date-time, strictly (see mado_parse_rfc3339) */
	MADO_K_PERIOD,    /* a date or an RFC 3339 date-time: the bound of a period */
	MADO_K_OFFICER,   /* an official's id: A-Z a-z 0-9 . _ : -; 1 to 64 */
	MADO_K_URL,       /* a URL people may be sent back to: https, or http on loopback */
	MADO_K_TEXT,      /* printable text (no control characters), min to max bytes */
	MADO_K_PROSE,     /* text that may run over lines (tab, CR, LF), min to max bytes */
	MADO_K_ENUM,      /* one of the field's words */
	MADO_K_INT,       /* a whole number from min to max */
	MADO_K_BOOL,      /* true or false */
	MADO_K_CURSOR,    /* a page cursor as a previous page gave it: "<micros>-<id>" */
	MADO_K_CODES,     /* an array of min to max distinct codes */
	MADO_K_OBJECT,    /* an object of the field's fields */
	MADO_K_OBJECTS,   /* an array of min to max objects of the field's fields */
	MADO_K_REPLY_KEY, /* a P-256 public key, its uncompressed point in base64url (87
			     characters; include/mado/seal.h): answers are sealed to it */
	MADO_K_ANY,       /* any JSON value, checked by its handler */
};

struct mado_field {
	const char *name;
	enum mado_kind kind;
	bool required;
	long long min, max;              /* TEXT: bytes; INT: values; CODES, OBJECTS: count */
	const char *const *words;        /* ENUM: NULL-terminated */
	const struct mado_field *fields; /* OBJECT, OBJECTS: ended by a field without a name */
	const char *hint;                /* what to send, for the problem detail; optional */
};

/* Lists of fields end with this. */
#define MADO_FIELDS_END                                                                            \
	{                                                                                          \
		.name = NULL                                                                       \
	}

/* Is text a valid value of the field's kind (a kind written as a string)? */
bool mado_check_text(const struct mado_field *f, const char *text);
/* The same for a kind alone, with default bounds (for operator arguments). */
bool mado_check_kind(enum mado_kind kind, const char *text);
/* What a field's value must be, in words (its hint, or its kind's), for problem details. */
const char *mado_field_expect(const struct mado_field *f);
/* The JSON type a kind is written as: cJSON_String, cJSON_Number, cJSON_Array, ... */
int mado_kind_json_type(enum mado_kind kind);
/* The JSON Schema type name of a kind ("string", "integer", ...), for documentation. */
const char *mado_kind_schema_type(enum mado_kind kind);

/* Where a checked value is wrong. */
struct mado_bad {
	int err;          /* MADO_E_INVALID_BODY (shape) or MADO_E_VALIDATION (value) */
	char field[80];   /* the member, dotted when nested ("frequency.unit") */
	int index;        /* within an array of objects: which element; -1 otherwise */
	char detail[160]; /* what is wrong, in words */
};

/*
 * Checks a JSON object against fields: shape first (an object; no member that is not a
 * field; every member of its field's JSON type), then values (required members present,
 * each valid for its kind). MADO_OK, or the first problem in *bad. A JSON null counts as
 * absent.
 */
MADO_MUSTCHECK int mado_check_json(const cJSON *obj, const struct mado_field *fields,
				   struct mado_bad *bad);
/* Checks one value (not null) against one field, with the same rules. */
MADO_MUSTCHECK int mado_check_value(const cJSON *v, const struct mado_field *f,
				    struct mado_bad *bad);

/* The codes of a JSON array (checked as MADO_K_CODES) as a PostgreSQL array literal,
   "{a,b}" (codes need no quoting). False when it does not fit in len. */
bool mado_codes_literal(const cJSON *array, char *out, size_t len);
/* The same from a comma-separated list of kind values ("a,b"), each checked. */
bool mado_list_literal(enum mado_kind kind, const char *list, char *out, size_t len);

/* The parts of a cursor. */
bool mado_cursor_parse(const char *text, long long *micros, long long *id);

#endif
