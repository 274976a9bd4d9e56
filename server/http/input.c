/*
 * A route's input, checked against its declaration before the handler runs: {name}
 * segments (wrong: 404, the path names nothing), query parameters (422 naming the
 * parameter) and the JSON body (400 for the wrong shape, 422 for a wrong value, naming
 * the member). Handlers then read values through the accessors below, knowing them valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>
#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "http_int.h"

int
mado_http_bad_input(struct mado_req *rq, const struct mado_bad *bad)
{
	if (bad->index >= 0)
		mado_http_ext_int(rq, "index", bad->index);
	mado_http_ext(rq, "field", bad->field);
	if (bad->index >= 0)
		return mado_http_fail(rq, bad->err, "entry %d: %s", bad->index, bad->detail);
	return mado_http_fail(rq, bad->err, "%s", bad->detail);
}

int
http__check_path(struct mado_req *rq)
{
	const struct mado_field *f = rq->route->path;
	int i;

	for (i = 0; f != NULL && f[i].name != NULL && i < rq->nparams; i++)
		if (!mado_check_text(&f[i], rq->params[i]))
			return MADO_E_NOT_FOUND;
	return MADO_OK;
}

static int
bad_query(struct mado_req *rq, struct mado_bad *bad, const struct mado_field *f, const char *what,
	  const char *expect)
{
	bad->err = MADO_E_VALIDATION;
	snprintf(bad->field, sizeof(bad->field), "%s", f->name);
	snprintf(bad->detail, sizeof(bad->detail), "%s %s %s", f->name, what, expect);
	return mado_http_bad_input(rq, bad);
}

int
http__check_query(struct mado_req *rq)
{
	const char *q = rq->ri != NULL ? rq->ri->query_string : NULL;
	const struct mado_field *f = rq->route->query;
	struct mado_bad bad = {.index = -1};
	size_t qlen = q != NULL ? strlen(q) : 0, nf = 0;
	char *dst;
	int i, n;

	while (f != NULL && f[nf].name != NULL && nf < MADO_MAX_QUERY)
		nf++;
	if (nf == 0)
		return MADO_OK;
	/* Room for every value at once (none decodes longer than the query string), so
	   the pointers kept below never move. */
	dst = q != NULL ? mado_text_reserve(&rq->query_buf, nf * (qlen + 1)) : NULL;
	for (i = 0; i < (int)nf; i++) {
		/* Absent or empty is unset: what a form with "all" selected sends. */
		n = q != NULL ? mg_get_var(q, qlen, f[i].name, dst, qlen + 1) : -1;
		if (n > 0 && !mado_check_text(&f[i], dst))
			return bad_query(rq, &bad, &f[i], "must be", mado_field_expect(&f[i]));
		if (n <= 0 && f[i].required)
			return bad_query(rq, &bad, &f[i], "is required:", mado_field_expect(&f[i]));
		if (n > 0) {
			rq->query[i] = dst;
			dst += qlen + 1;
		}
	}
	return MADO_OK;
}

int
http__check_body(struct mado_req *rq)
{
	struct mado_bad bad;
	int rc;

	if ((rc = mado_json_parse(rq->body, rq->body_len, &rq->json, rq->detail,
				  sizeof(rq->detail))) != MADO_OK)
		return rc;
	if (rq->route->body != MADO_BODY_OBJECT)
		return MADO_OK;
	if (mado_check_json(rq->json, rq->route->fields, &bad) != MADO_OK)
		return mado_http_bad_input(rq, &bad);
	return MADO_OK;
}

const cJSON *
mado_http_member(const struct mado_req *rq, const char *name)
{
	const cJSON *v =
	    cJSON_IsObject(rq->json) ? cJSON_GetObjectItemCaseSensitive(rq->json, name) : NULL;

	return cJSON_IsNull(v) ? NULL : v;
}

const char *
mado_http_str(const struct mado_req *rq, const char *name)
{
	const cJSON *v = mado_http_member(rq, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

long long
mado_http_int(const struct mado_req *rq, const char *name, long long def)
{
	const cJSON *v = mado_http_member(rq, name);

	/* The router checked the range, so the conversion is exact. */
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : def;
}

bool
mado_http_bool(const struct mado_req *rq, const char *name)
{
	return cJSON_IsTrue(mado_http_member(rq, name));
}

const char *
mado_http_query(const struct mado_req *rq, const char *name)
{
	const struct mado_field *f = rq->route != NULL ? rq->route->query : NULL;
	int i;

	for (i = 0; f != NULL && f[i].name != NULL && i < MADO_MAX_QUERY; i++)
		if (strcmp(f[i].name, name) == 0)
			return rq->query[i];
	return NULL;
}

bool
mado_http_query_true(const struct mado_req *rq, const char *name)
{
	const char *v = mado_http_query(rq, name);

	return v != NULL && strcmp(v, "true") == 0;
}
