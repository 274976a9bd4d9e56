/*
 * The one check of what agency systems send: gateway queries and reported events. Pure
 * (no I/O), so the unit tests drive it directly; the database then checks only what it
 * alone knows (pseudonyms, item codes, legal bases).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/access.h"
#include "mado/util.h"
#include "access_int.h"

static bool
bad_at(struct access_bad *bad, const char *field, const char *reason)
{
	snprintf(bad->field, sizeof(bad->field), "%s", field);
	snprintf(bad->reason, sizeof(bad->reason), "%s", reason);
	return false;
}

static bool
charset_ok(const char *s, size_t min, size_t max, const char *extra, bool alpha_first)
{
	size_t i, n = strlen(s);

	if (n < min || n > max)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (extra != NULL && strchr(extra, c) != NULL);
		if (!ok || (i == 0 && alpha_first && !(c >= 'a' && c <= 'z')))
			return false;
	}
	return true;
}

bool
access__code_ok(const char *s)
{
	return charset_ok(s, 2, 64, "_.-", true);
}

bool
access__org_code_ok(const char *s)
{
	return charset_ok(s, 2, 40, "-", true);
}

static bool
pseudonym_ok(const char *s)
{
	return charset_ok(s, 43, 43, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-", false);
}

static bool
officer_ok(const char *s)
{
	return charset_ok(s, 1, 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ._:-", false);
}

/* Printable text without control characters, within a length in bytes. */
static bool
text_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	const unsigned char *p;

	if (n < min || n > max)
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool
uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			     (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/* YYYY-MM-DD naming a real calendar day (the database would refuse 2027-02-30). */
bool
access__date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	char buf[32];
	time_t t;
	int y, m, d;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
	    d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return false;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return mado_parse_rfc3339(buf, &t);
}

/* Only the named members may appear. */
static bool
members_known(const cJSON *obj, const char *const *known, struct access_bad *bad)
{
	const cJSON *m;
	size_t i;

	cJSON_ArrayForEach(m, obj)
	{
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(m->string, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			snprintf(bad->field, sizeof(bad->field), "%.31s", m->string);
			snprintf(bad->reason, sizeof(bad->reason), "is not a known member");
			return false;
		}
	}
	return true;
}

/* A string member: required or optional (NULL when absent or null). */
static bool
str_member(const cJSON *obj, const char *name, bool required, const char **out,
	   struct access_bad *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return required ? bad_at(bad, name, "is required") : true;
	if (!cJSON_IsString(v))
		return bad_at(bad, name, "must be a string");
	*out = v->valuestring;
	return true;
}

/* The items array: 1..32 distinct codes, written as a PostgreSQL array literal (codes
   have no characters that need quoting). */
static bool
items_member(const cJSON *obj, char *lit, size_t litlen, struct access_bad *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "items"), *it, *other;
	size_t len = 0;
	int n = 0;

	if (!cJSON_IsArray(v))
		return bad_at(bad, "items", "must be an array of data item codes");
	len += (size_t)snprintf(lit + len, litlen - len, "{");
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it) || !access__code_ok(it->valuestring))
			return bad_at(bad, "items", "holds something that is not an item code");
		for (other = v->child; other != it; other = other->next)
			if (strcmp(other->valuestring, it->valuestring) == 0)
				return bad_at(bad, "items", "names an item twice");
		if (++n > ACCESS_ITEMS_MAX)
			return bad_at(bad, "items", "names more than 32 items");
		len += (size_t)snprintf(lit + len, litlen - len, "%s%s", n > 1 ? "," : "",
					it->valuestring);
	}
	if (n == 0)
		return bad_at(bad, "items", "must name at least one item");
	snprintf(lit + len, litlen - len, "}");
	return true;
}

static bool
actor_kind_ok(const char *k)
{
	return strcmp(k, "human") == 0 || strcmp(k, "machine") == 0;
}

bool
access__check_query(const cJSON *body, time_t now, struct access_query *q, struct access_bad *bad)
{
	static const char *const known[] = {
	    "person",       "items",      "purpose",   "legal_ref",    "case_ref",     "officer",
	    "officer_role", "actor_kind", "relay_for", "sealed_until", "sealing_body", NULL};
	const char *sealed;
	char buf[32];
	time_t until;

	memset(q, 0, sizeof(*q));
	if (!cJSON_IsObject(body))
		return bad_at(bad, "", "the body must be a JSON object");
	if (!members_known(body, known, bad))
		return false;
	if (!str_member(body, "person", true, &q->person, bad) ||
	    !str_member(body, "purpose", true, &q->purpose, bad) ||
	    !str_member(body, "legal_ref", true, &q->legal_ref, bad) ||
	    !str_member(body, "case_ref", false, &q->case_ref, bad) ||
	    !str_member(body, "officer", true, &q->officer, bad) ||
	    !str_member(body, "officer_role", false, &q->officer_role, bad) ||
	    !str_member(body, "actor_kind", true, &q->actor_kind, bad) ||
	    !str_member(body, "relay_for", false, &q->relay_for, bad) ||
	    !str_member(body, "sealed_until", false, &sealed, bad) ||
	    !str_member(body, "sealing_body", false, &q->sealing_body, bad))
		return false;
	if (!pseudonym_ok(q->person))
		return bad_at(bad, "person",
			      "must be your organisation's pseudonym (43 characters)");
	if (!items_member(body, q->items, sizeof(q->items), bad))
		return false;
	if (!access__code_ok(q->purpose))
		return bad_at(bad, "purpose", "must be a purpose code");
	if (!text_ok(q->legal_ref, 1, 200))
		return bad_at(bad, "legal_ref", "must be 1 to 200 printable characters");
	if (q->case_ref != NULL && !text_ok(q->case_ref, 1, 64))
		return bad_at(bad, "case_ref", "must be 1 to 64 printable characters");
	if (!officer_ok(q->officer))
		return bad_at(bad, "officer", "must be 1 to 64 of A-Z a-z 0-9 . _ : -");
	if (q->officer_role != NULL && !text_ok(q->officer_role, 1, 64))
		return bad_at(bad, "officer_role", "must be 1 to 64 printable characters");
	if (!actor_kind_ok(q->actor_kind))
		return bad_at(bad, "actor_kind", "must be human or machine");
	if (q->relay_for != NULL && !access__org_code_ok(q->relay_for))
		return bad_at(bad, "relay_for", "must be an organisation code");
	if ((sealed == NULL) != (q->sealing_body == NULL))
		return bad_at(bad, sealed == NULL ? "sealed_until" : "sealing_body",
			      "sealed_until and sealing_body come together");
	if (sealed != NULL) {
		if (!access__date_ok(sealed))
			return bad_at(bad, "sealed_until", "must be a date, YYYY-MM-DD");
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", sealed);
		if (!mado_parse_rfc3339(buf, &until) || until <= now ||
		    until > now + (time_t)ACCESS_SEAL_MAX_DAYS * 86400)
			return bad_at(bad, "sealed_until",
				      "must lie after today and at most five years ahead");
		if (!text_ok(q->sealing_body, 1, 200))
			return bad_at(bad, "sealing_body", "must be 1 to 200 printable characters");
		memcpy(q->sealed_until, sealed, 11);
	}
	return true;
}

bool
access__check_event(const cJSON *ev, time_t now, cJSON *out, struct access_bad *bad)
{
	static const char *const known[] = {"event_id",     "person",     "occurred_at", "items",
					    "purpose",      "legal_ref",  "case_ref",    "officer",
					    "officer_role", "actor_kind", "relay_for",   NULL};
	const char *event_id, *person, *occurred, *purpose, *legal_ref, *case_ref, *officer, *role,
	    *kind, *relay;
	char lit[ACCESS_ITEMS_MAX * 72];
	cJSON *copy;
	time_t at;

	if (!cJSON_IsObject(ev))
		return bad_at(bad, "", "each event must be a JSON object");
	if (!members_known(ev, known, bad))
		return false;
	if (!str_member(ev, "event_id", true, &event_id, bad) ||
	    !str_member(ev, "person", true, &person, bad) ||
	    !str_member(ev, "occurred_at", true, &occurred, bad) ||
	    !str_member(ev, "purpose", true, &purpose, bad) ||
	    !str_member(ev, "legal_ref", true, &legal_ref, bad) ||
	    !str_member(ev, "case_ref", false, &case_ref, bad) ||
	    !str_member(ev, "officer", false, &officer, bad) ||
	    !str_member(ev, "officer_role", false, &role, bad) ||
	    !str_member(ev, "actor_kind", true, &kind, bad) ||
	    !str_member(ev, "relay_for", false, &relay, bad))
		return false;
	if (!uuid_ok(event_id))
		return bad_at(bad, "event_id", "must be a UUID");
	if (!pseudonym_ok(person))
		return bad_at(bad, "person",
			      "must be your organisation's pseudonym (43 characters)");
	if (!mado_parse_rfc3339(occurred, &at))
		return bad_at(bad, "occurred_at", "must be an RFC 3339 time");
	if (at > now + 300 || at < now - (time_t)ACCESS_REPORT_MAX_AGE_DAYS * 86400)
		return bad_at(bad, "occurred_at", "must lie within the last 400 days, not ahead");
	if (!items_member(ev, lit, sizeof(lit), bad))
		return false;
	if (!access__code_ok(purpose))
		return bad_at(bad, "purpose", "must be a purpose code");
	if (!text_ok(legal_ref, 1, 200))
		return bad_at(bad, "legal_ref", "must be 1 to 200 printable characters");
	if (case_ref != NULL && !text_ok(case_ref, 1, 64))
		return bad_at(bad, "case_ref", "must be 1 to 64 printable characters");
	if (!actor_kind_ok(kind))
		return bad_at(bad, "actor_kind", "must be human or machine");
	if (officer == NULL && strcmp(kind, "human") == 0)
		return bad_at(bad, "officer", "is required when a human accessed the data");
	if (officer != NULL && !officer_ok(officer))
		return bad_at(bad, "officer", "must be 1 to 64 of A-Z a-z 0-9 . _ : -");
	if (role != NULL && !text_ok(role, 1, 64))
		return bad_at(bad, "officer_role", "must be 1 to 64 printable characters");
	if (relay != NULL && !access__org_code_ok(relay))
		return bad_at(bad, "relay_for", "must be an organisation code");
	if ((copy = cJSON_Duplicate(ev, true)) == NULL)
		return bad_at(bad, "", "out of memory");
	cJSON_AddItemToArray(out, copy);
	return true;
}

bool
mado_access_items(const cJSON *obj, char *lit, size_t litlen, char *why, size_t whylen)
{
	struct access_bad bad;

	if (items_member(obj, lit, litlen, &bad))
		return true;
	snprintf(why, whylen, "%s %s", bad.field, bad.reason);
	return false;
}

bool
mado_access_code_ok(const char *s)
{
	return access__code_ok(s);
}

bool
mado_access_date_ok(const char *s)
{
	return access__date_ok(s);
}
