/*
 * Asking the data holders. Each decided access becomes one signed ticket per holder,
 * POSTed to that holder's /holder/v1/answers over mTLS, all holders at once on one curl
 * multi handle; the holders answer with sealed values that are passed on as they came.
 * Handles are kept in a small free list, so each worker thread reuses a warm connection
 * to each holder instead of a new TLS handshake per query.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "mado/err.h"
#include "mado/log.h"
#include "mado/relay.h"
#include "mado/util.h"
#include "relay_int.h"

#define ANSWER_MAX (1024 * 1024) /* a holder's answer: at most 32 items' values */

struct relay__cfg relay__cfg;

/* One reusable set: a multi handle and an easy handle per holder it may ask at once. */
struct conn_set {
	CURLM *multi;
	CURL *easy[RELAY_HOLDERS_MAX];
	struct conn_set *next_free, *next_all;
};

static struct {
	pthread_mutex_t lock;
	struct conn_set *free, *all;
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL};

/* One holder's part of an ask. */
struct call {
	const char *holder;
	char *body;
	struct curl_slist *headers;
	struct mado_text answer;
	bool started;
	CURLcode done;
};

static struct conn_set *
set_take(void)
{
	struct conn_set *s;
	int i;

	pthread_mutex_lock(&pool.lock);
	if ((s = pool.free) != NULL)
		pool.free = s->next_free;
	pthread_mutex_unlock(&pool.lock);
	if (s != NULL)
		return s;
	s = mado_xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	if ((s->multi = curl_multi_init()) == NULL)
		goto fail;
	for (i = 0; i < RELAY_HOLDERS_MAX; i++)
		if ((s->easy[i] = curl_easy_init()) == NULL)
			goto fail;
	pthread_mutex_lock(&pool.lock);
	s->next_all = pool.all;
	pool.all = s;
	pthread_mutex_unlock(&pool.lock);
	return s;
fail:
	for (i = 0; i < RELAY_HOLDERS_MAX; i++)
		if (s->easy[i] != NULL)
			curl_easy_cleanup(s->easy[i]);
	if (s->multi != NULL)
		curl_multi_cleanup(s->multi);
	free(s);
	return NULL;
}

static void
set_give(struct conn_set *s)
{
	pthread_mutex_lock(&pool.lock);
	s->next_free = pool.free;
	pool.free = s;
	pthread_mutex_unlock(&pool.lock);
}

void
relay__pool_free(void)
{
	struct conn_set *s, *next;
	int i;

	pthread_mutex_lock(&pool.lock);
	for (s = pool.all; s != NULL; s = next) {
		next = s->next_all;
		for (i = 0; i < RELAY_HOLDERS_MAX; i++)
			curl_easy_cleanup(s->easy[i]);
		curl_multi_cleanup(s->multi);
		free(s);
	}
	pool.all = pool.free = NULL;
	pthread_mutex_unlock(&pool.lock);
}

static size_t
take_answer(char *data, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t len = size * n;

	if (c->answer.len + len > ANSWER_MAX)
		return 0; /* curl ends the transfer: the answer counts as none */
	mado_text_append(&c->answer, data, len);
	return len;
}

/* The ticket for one holder's part of the job. */
static char *
ticket_for(const struct mado_relay_job *job, const cJSON *target)
{
	struct mado_ticket t;
	const cJSON *it;
	time_t now = time(NULL);

	memset(&t, 0, sizeof(t));
	snprintf(t.record, sizeof(t.record), "%s", job->record);
	snprintf(t.requester, sizeof(t.requester), "%s", job->requester);
	snprintf(t.holder, sizeof(t.holder), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(target, "holder")));
	snprintf(t.subject, sizeof(t.subject), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItem(target, "subject")));
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(target, "items")) {
		if (t.n_items == MADO_TICKET_ITEMS_MAX || !cJSON_IsString(it))
			return NULL;
		snprintf(t.items[t.n_items++], sizeof(t.items[0]), "%s", it->valuestring);
	}
	snprintf(t.purpose, sizeof(t.purpose), "%s", job->purpose);
	snprintf(t.legal_ref, sizeof(t.legal_ref), "%s", job->legal_ref);
	snprintf(t.from, sizeof(t.from), "%s", job->from != NULL ? job->from : "");
	snprintf(t.to, sizeof(t.to), "%s", job->to != NULL ? job->to : "");
	t.iat = (long long)now;
	t.exp = (long long)now + relay__cfg.ttl_s;
	memcpy(t.reply_key, job->reply_key, MADO_SEAL_KEY_LEN);
	return mado_ticket_sign(relay__cfg.key, &t);
}

static bool
call_start(CURLM *multi, CURL *h, struct call *c, const struct mado_relay_job *job,
	   const cJSON *target)
{
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(target, "url"));
	char endpoint[512];
	char *ticket;
	cJSON *body;

	if (url == NULL || *url == '\0') {
		mado_log_err(job->req_id, "relay: holder %s has no address", c->holder);
		return false;
	}
	if ((ticket = ticket_for(job, target)) == NULL) {
		mado_log_err(job->req_id, "relay: no ticket for holder %s", c->holder);
		return false;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "ticket", ticket);
	c->body = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	free(ticket);
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	snprintf(endpoint, sizeof(endpoint), "%s/holder/v1/answers", url);

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, endpoint);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)relay__cfg.timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (*relay__cfg.cert != '\0') {
		curl_easy_setopt(h, CURLOPT_SSLCERT, relay__cfg.cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, relay__cfg.keyfile);
	}
	if (*relay__cfg.ca != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, relay__cfg.ca);
	return curl_multi_add_handle(multi, h) == CURLM_OK;
}

static bool
same(const cJSON *obj, const char *name, const char *want)
{
	const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(obj, name));

	return v != NULL && strcmp(v, want) == 0;
}

/* The holder's answer, checked to be for this record from this holder: its sealed part. */
static const char *
call_sealed(const struct mado_relay_job *job, CURL *h, const struct call *c, cJSON **parsed)
{
	long status = 0;
	const char *sealed;

	*parsed = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (c->done != CURLE_OK) {
		mado_log_err(job->req_id, "relay: holder %s did not answer (%s)", c->holder,
			     curl_easy_strerror(c->done));
		return NULL;
	}
	*parsed = c->answer.buf != NULL ? cJSON_Parse(c->answer.buf) : NULL;
	if (status != 200) {
		/* The problem's type says why (a holder's problem holds no personal data). */
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(*parsed, "type"));

		mado_log_err(job->req_id, "relay: holder %s answered %ld (%.80s)", c->holder,
			     status, type != NULL ? type : "no problem type");
		return NULL;
	}
	sealed = cJSON_GetStringValue(cJSON_GetObjectItem(*parsed, "sealed"));
	if (sealed == NULL || !same(*parsed, "holder", c->holder) ||
	    !same(*parsed, "record", job->record)) {
		mado_log_err(job->req_id, "relay: holder %s answered for another record or holder",
			     c->holder);
		return NULL;
	}
	return sealed;
}

static void
run(CURLM *multi)
{
	int running = 1;

	while (running > 0) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			return;
		if (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			return;
	}
}

int
relay__ask(const struct mado_relay_job *job, const cJSON *targets, cJSON **answers)
{
	struct call calls[RELAY_HOLDERS_MAX];
	struct conn_set *set;
	const cJSON *target;
	struct call *c;
	CURLMsg *msg;
	cJSON *parsed = NULL, *out, *a;
	const char *sealed;
	bool ok = true;
	int n = 0, i, queued;

	*answers = NULL;
	if (relay__cfg.key == NULL) {
		mado_log_err(job->req_id, "relay: no ticket_key, so no holder can be asked");
		return MADO_E_HOLDER_UNAVAILABLE;
	}
	if (cJSON_GetArraySize(targets) > RELAY_HOLDERS_MAX || (set = set_take()) == NULL)
		return MADO_E_HOLDER_UNAVAILABLE;
	memset(calls, 0, sizeof(calls));
	cJSON_ArrayForEach (target, targets) {
		c = &calls[n];
		c->holder = cJSON_GetStringValue(cJSON_GetObjectItem(target, "holder"));
		c->holder = c->holder != NULL ? c->holder : "?";
		c->done = CURLE_FAILED_INIT;
		c->started = call_start(set->multi, set->easy[n], c, job, target);
		n++;
		if (!c->started) {
			ok = false;
			break;
		}
	}
	if (ok)
		run(set->multi);
	while ((msg = curl_multi_info_read(set->multi, &queued)) != NULL)
		for (i = 0; i < n; i++)
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == set->easy[i])
				calls[i].done = msg->data.result;

	out = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		c = &calls[i];
		if (ok && (sealed = call_sealed(job, set->easy[i], c, &parsed)) != NULL) {
			a = cJSON_CreateObject();
			cJSON_AddStringToObject(a, "holder", c->holder);
			cJSON_AddStringToObject(a, "sealed", sealed);
			cJSON_AddItemToArray(out, a);
		} else {
			ok = false;
		}
		cJSON_Delete(parsed);
		parsed = NULL;
		if (c->started)
			curl_multi_remove_handle(set->multi, set->easy[i]);
		curl_slist_free_all(c->headers);
		cJSON_free(c->body);
		mado_text_free(&c->answer);
	}
	set_give(set);
	if (!ok) {
		cJSON_Delete(out);
		return MADO_E_HOLDER_UNAVAILABLE;
	}
	*answers = out;
	return MADO_OK;
}
