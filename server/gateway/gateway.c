/*
 * What agency systems send the gateway: the fields of a query and of a reported access,
 * and the rules across fields that a field list cannot say. Pure (no I/O), so the unit
 * tests drive it directly; the database then checks only what it alone knows
 * (pseudonyms, item codes, legal bases).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/err.h"
#include "mado/util.h"
#include "gateway_int.h"

static const char *const actor_kinds[] = {"human", "machine", NULL};

#define PSEUDONYM_HINT "your organisation's pseudonym for the person (43 characters)"

const struct mado_field gateway__query_fields[] = {
    {.name = "person", .kind = MADO_K_TOKEN, .required = true, .hint = PSEUDONYM_HINT},
    {.name = "items", .kind = MADO_K_CODES, .required = true, .min = 1, .max = GATEWAY_ITEMS_MAX},
    {.name = "purpose", .kind = MADO_K_CODE, .required = true},
    {.name = "legal_ref", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 200},
    {.name = "case_ref", .kind = MADO_K_TEXT, .min = 1, .max = 64},
    {.name = "officer", .kind = MADO_K_OFFICER, .required = true},
    {.name = "officer_role", .kind = MADO_K_TEXT, .min = 1, .max = 64},
    {.name = "actor_kind", .kind = MADO_K_ENUM, .required = true, .words = actor_kinds},
    {.name = "relay_for", .kind = MADO_K_ORG},
    {.name = "sealed_until", .kind = MADO_K_DATE},
    {.name = "sealing_body", .kind = MADO_K_TEXT, .min = 1, .max = 200},
    /* The seal's approval reference (a warrant's number): the supervisor confirms it. */
    {.name = "seal_ref", .kind = MADO_K_TEXT, .min = 1, .max = 200},
    /* The answer is sealed to this key: Mado relays it and cannot read it. */
    {.name = "reply_key", .kind = MADO_K_REPLY_KEY, .required = true},
    MADO_FIELDS_END,
};

static const struct mado_field event_fields[] = {
    {.name = "event_id", .kind = MADO_K_UUID, .required = true},
    {.name = "person", .kind = MADO_K_TOKEN, .required = true, .hint = PSEUDONYM_HINT},
    {.name = "occurred_at", .kind = MADO_K_TIME, .required = true},
    {.name = "items", .kind = MADO_K_CODES, .required = true, .min = 1, .max = GATEWAY_ITEMS_MAX},
    {.name = "purpose", .kind = MADO_K_CODE, .required = true},
    {.name = "legal_ref", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 200},
    {.name = "case_ref", .kind = MADO_K_TEXT, .min = 1, .max = 64},
    {.name = "officer", .kind = MADO_K_OFFICER},
    {.name = "officer_role", .kind = MADO_K_TEXT, .min = 1, .max = 64},
    {.name = "actor_kind", .kind = MADO_K_ENUM, .required = true, .words = actor_kinds},
    {.name = "relay_for", .kind = MADO_K_ORG},
    MADO_FIELDS_END,
};

const struct mado_field gateway__report_fields[] = {
    {.name = "events",
     .kind = MADO_K_OBJECTS,
     .required = true,
     .min = 1,
     .max = GATEWAY_BATCH_MAX,
     .fields = event_fields,
     .hint = "1 to 1000 events"},
    MADO_FIELDS_END,
};

static bool
bad_at(struct mado_bad *bad, const char *field, const char *detail)
{
	bad->err = MADO_E_VALIDATION;
	snprintf(bad->field, sizeof(bad->field), "%s", field);
	snprintf(bad->detail, sizeof(bad->detail), "%s %s", field, detail);
	return false;
}

static const char *
str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool
gateway__read_query(const cJSON *body, time_t now, struct gateway_query *q, struct mado_bad *bad)
{
	time_t until;

	memset(q, 0, sizeof(*q));
	memset(bad, 0, sizeof(*bad));
	bad->index = -1;
	q->person = str(body, "person");
	q->purpose = str(body, "purpose");
	q->legal_ref = str(body, "legal_ref");
	q->case_ref = str(body, "case_ref");
	q->officer = str(body, "officer");
	q->officer_role = str(body, "officer_role");
	q->actor_kind = str(body, "actor_kind");
	q->relay_for = str(body, "relay_for");
	q->sealed_until = str(body, "sealed_until");
	q->sealing_body = str(body, "sealing_body");
	q->seal_ref = str(body, "seal_ref");
	/* Checked with the fields (MADO_K_REPLY_KEY): this only decodes it. */
	if (!mado_seal_key_parse(str(body, "reply_key"), q->reply_key))
		return bad_at(bad, "reply_key", "is not a P-256 public key");
	if (!mado_codes_literal(cJSON_GetObjectItemCaseSensitive(body, "items"), q->items,
				sizeof(q->items)))
		return bad_at(bad, "items", "names too many items");
	if ((q->sealed_until == NULL) != (q->sealing_body == NULL))
		return bad_at(bad, q->sealed_until == NULL ? "sealed_until" : "sealing_body",
			      "comes only together with the other (sealed_until, sealing_body)");
	if (q->sealed_until != NULL && (!mado_parse_date(q->sealed_until, &until) || until <= now ||
					until > now + (time_t)GATEWAY_SEAL_MAX_DAYS * 86400))
		return bad_at(bad, "sealed_until",
			      "must lie after today and at most five years ahead");
	if ((q->sealed_until == NULL) != (q->seal_ref == NULL))
		return bad_at(bad, q->sealed_until == NULL ? "sealed_until" : "seal_ref",
			      "a seal names its approval reference (seal_ref)");
	return true;
}

struct event_ref {
	const char *id;
	int i;
};

static int
event_ref_cmp(const void *a, const void *b)
{
	const struct event_ref *x = a, *y = b;
	int c = strcasecmp(x->id, y->id);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

/* For each event, the index of the first earlier one with the same event id, or -1: by
   sorting, as a batch of 1000 compared pairwise was half a million comparisons. */
static int *
repeats(const cJSON *events, int n)
{
	struct event_ref *r = mado_xcalloc((size_t)n + 1, sizeof(*r));
	int *first = mado_xmalloc(((size_t)n + 1) * sizeof(int));
	const cJSON *e;
	const char *id;
	int k = 0, g = 0;

	cJSON_ArrayForEach (e, events) {
		if (k >= n)
			break;
		first[k] = -1;
		if ((id = str(e, "event_id")) != NULL) {
			r[g].id = id;
			r[g++].i = k;
		}
		k++;
	}
	qsort(r, (size_t)g, sizeof(*r), event_ref_cmp);
	for (k = 1; k < g; k++)
		if (strcasecmp(r[k].id, r[k - 1].id) == 0)
			first[r[k].i] = first[r[k - 1].i] >= 0 ? first[r[k - 1].i] : r[k - 1].i;
	free(r);
	return first;
}

bool
gateway__check_events(const cJSON *events, time_t now, struct mado_bad *bad)
{
	const cJSON *e;
	const char *kind;
	time_t at;
	int i = 0, n = cJSON_GetArraySize(events), *first = repeats(events, n);
	char why[48];
	bool ok = false;

	memset(bad, 0, sizeof(*bad));
	cJSON_ArrayForEach (e, events) {
		bad->index = i;
		if (!mado_parse_rfc3339(str(e, "occurred_at"), &at) || at > now + 300 ||
		    at < now - (time_t)GATEWAY_REPORT_MAX_AGE * 86400) {
			bad_at(bad, "occurred_at", "must lie within the last 400 days, not ahead");
			goto out;
		}
		kind = str(e, "actor_kind");
		if (str(e, "officer") == NULL && strcmp(kind, "human") == 0) {
			bad_at(bad, "officer", "is required when a human accessed the data");
			goto out;
		}
		/* The same event twice in one batch is a sender's bug, not a retry. */
		if (i < n && first[i] >= 0) {
			snprintf(why, sizeof(why), "repeats event %d", first[i]);
			bad_at(bad, "event_id", why);
			goto out;
		}
		i++;
	}
	bad->index = -1;
	ok = true;
out:
	free(first);
	return ok;
}
