/*
 * mado-holder against a real PostgreSQL: a holder database made from sql/holder, the
 * service started as Mado would find it (mutual TLS, Mado's ticket key), and tickets
 * signed here as Mado signs them. Every refusal is matched by its problem type and by the
 * row it leaves in holder.requests; an answer is opened with the requester's key. The
 * internal read reports to a real mado.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "harness.h"
#include "mado/seal.h"

#ifndef MADO_HOLDER_BINARY
#error "MADO_HOLDER_BINARY must name the mado-holder executable"
#endif

#define HOLDER "tax-office"
/* The test's own person at the holder (a pseudonym's shape: 43 base64url characters). */
#define SUBJECT "holderTestSubject0123456789abcdefghijklmnop"

static struct th_env env;
static struct th_person alice = {.card = "alice"};
static char holder_url[64], holder_log[400], holder_err[400];
/* The holder's database as its superuser (to arrange and check), and as the service's
   role, which has only the grants docs/holders.md lists. */
static char conninfo[512], app_conninfo[512];
static char caller_crt[400], caller_key[400];
static pid_t holder_pid;
static EVP_PKEY *mado_key, *other_key, *reply_key;
static char reply_text[128];

/* One value of a query on the holder's database, into buf (may be NULL); the number of
   rows touched, or the value as a number; -1 when it failed. */
static long
hsql(char *buf, size_t len, const char *fmt, ...)
{
	char sql[2048];
	PGconn *c;
	PGresult *r;
	va_list ap;
	long v = -1;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	c = PQconnectdb(conninfo);
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		if (buf != NULL)
			snprintf(buf, len, "%s", PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	} else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		v = strtol(PQcmdTuples(r), NULL, 10);
	} else {
		fprintf(stderr, "holder db: %s: %s", sql, PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return v;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static EVP_PKEY *
read_private(const char *path)
{
	EVP_PKEY *k;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static bool
port_open(int port)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "exec 3<>/dev/tcp/127.0.0.1/%d", port);
	return th_sh("bash -c '%s' 2>/dev/null", cmd) == 0;
}

static int
start_holder(int port)
{
	char listen[64], cert[400], key[400], ca[400], mkey[400];
	char *argv[] = {MADO_HOLDER_BINARY,
			"serve",
			"--org",
			HOLDER,
			"--db",
			app_conninfo,
			"--listen",
			listen,
			"--cert",
			cert,
			"--key",
			key,
			"--ca",
			ca,
			"--mado-key",
			mkey,
			"--log",
			holder_log,
			NULL};
	pid_t parent = getpid();
	int fd, i;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(cert, sizeof(cert), "%s/holder.crt", env.dir);
	snprintf(key, sizeof(key), "%s/holder.key", env.dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", env.org_dir);
	snprintf(mkey, sizeof(mkey), "%s/ticket.pub", env.dir);
	if ((holder_pid = fork()) == 0) {
		if ((fd = open(holder_err, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		prctl(PR_SET_PDEATHSIG, SIGINT);
		if (getppid() != parent)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 400; i++) {
		if (port_open(port))
			return 0;
		if (waitpid(holder_pid, NULL, WNOHANG) == holder_pid)
			break;
		sleep_ms(50);
	}
	th_sh("cat '%s' >&2", holder_err);
	return -1;
}

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, NULL};
	char pseudonym[64];
	int port;

	*state = &env;
	if (th_setup_people(&env, people, false) != 0)
		return -1;
	snprintf(conninfo, sizeof(conninfo),
		 "host=%s/run port=5432 dbname=holder_tax user=postgres", env.pgdir);
	snprintf(app_conninfo, sizeof(app_conninfo),
		 "host=%s/run port=5432 dbname=holder_tax user=holder_app", env.pgdir);
	snprintf(holder_log, sizeof(holder_log), "%s/holder.log", env.dir);
	snprintf(holder_err, sizeof(holder_err), "%s/holder.err", env.dir);
	/* The holder's database: the schema twice (it must be idempotent), the demo values
	   for alice under the tax office's pseudonym, and the test's own values. */
	if (th_sql_str(&env, pseudonym, sizeof(pseudonym),
		       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
		       " AND org_code = '" HOLDER "'",
		       alice.id) != 0)
		return -1;
	if (th_sh("psql -X -q -v ON_ERROR_STOP=1 -h '%s/run' -U postgres -d mado"
		  " -c 'CREATE DATABASE holder_tax' >/dev/null",
		  env.pgdir) != 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (th_sh("psql -X -q -v ON_ERROR_STOP=1 '%s' -f '%s/sql/holder/schema.sql'"
			  " >/dev/null",
			  conninfo, MADO_SOURCE_DIR) != 0)
			return -1;
	if (hsql(NULL, 0, "CREATE ROLE holder_app LOGIN") < 0 ||
	    hsql(NULL, 0, "GRANT USAGE ON SCHEMA holder TO holder_app") < 0 ||
	    hsql(NULL, 0, "GRANT SELECT ON holder.holdings TO holder_app") < 0 ||
	    hsql(NULL, 0,
		 "GRANT INSERT ON holder.used_tickets, holder.requests, holder.internal_reads"
		 " TO holder_app") < 0 ||
	    hsql(NULL, 0,
		 "GRANT SELECT (event_id), UPDATE (reported_at) ON holder.internal_reads"
		 " TO holder_app") < 0 ||
	    hsql(NULL, 0, "GRANT USAGE ON SEQUENCE holder.requests_id_seq TO holder_app") < 0)
		return -1;
	for (int i = 0; i < 2; i++)
		if (th_sh("psql -X -q -v ON_ERROR_STOP=1 -v org=" HOLDER " '%s'"
			  " -c 'CREATE TEMP TABLE demo_pseudonyms (pseudonym text)'"
			  " -c \"INSERT INTO demo_pseudonyms VALUES ('%s')\""
			  " -f '%s/sql/holder/demo.sql' >/dev/null",
			  conninfo, pseudonym, MADO_SOURCE_DIR) != 0)
			return -1;
	if (hsql(NULL, 0,
		 "INSERT INTO holder.holdings VALUES"
		 " ('" SUBJECT "', 'tax.income', '{\"yen\": 4100000}', '2025-12-31'),"
		 " ('" SUBJECT "', 'tax.withholding', '{\"yen\": 210000}', '2025-12-31'),"
		 " ('" SUBJECT "', 'tax.last-year', '{\"yen\": 3900000}', '2024-12-31'),"
		 " ('" SUBJECT "', 'tax.undated', '{\"note\": \"no day\"}', NULL),"
		 " ('otherPerson0123456789abcdefghijklmnopqrstu', 'tax.income',"
		 "  '{\"yen\": 1}', '2025-12-31')") != 5)
		return -1;
	/* The holder's server certificate (the test trusts it alone), the caller's client
	   certificate from the organisation CA the holder trusts, and Mado's ticket key and
	   another's, all made by the command-line tools. */
	if (th_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
		  " -keyout '%s/holder.key' -out '%s/holder.crt' -days 2 -subj /CN=holder"
		  " -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		  env.dir, env.dir) != 0 ||
	    th_sh("'%s' issue '%s' mado-relay --key p256 --eku clientauth --policy none"
		  " >/dev/null",
		  MADO_CARD_BINARY, env.org_dir) != 0 ||
	    th_sh("openssl genpkey -algorithm ed25519 -out '%s/ticket.key' 2>/dev/null &&"
		  " openssl pkey -in '%s/ticket.key' -pubout -out '%s/ticket.pub' 2>/dev/null &&"
		  " openssl genpkey -algorithm ed25519 -out '%s/other.key' 2>/dev/null",
		  env.dir, env.dir, env.dir, env.dir) != 0)
		return -1;
	snprintf(caller_crt, sizeof(caller_crt), "%s/cards/mado-relay.crt", env.org_dir);
	snprintf(caller_key, sizeof(caller_key), "%s/cards/mado-relay.key", env.org_dir);
	{
		char path[400];

		snprintf(path, sizeof(path), "%s/ticket.key", env.dir);
		mado_key = read_private(path);
		snprintf(path, sizeof(path), "%s/other.key", env.dir);
		other_key = read_private(path);
	}
	reply_key = EVP_EC_gen("P-256");
	if (mado_key == NULL || other_key == NULL || reply_key == NULL)
		return -1;
	{
		char *t = mado_seal_key_text(reply_key);

		if (t == NULL)
			return -1;
		snprintf(reply_text, sizeof(reply_text), "%s", t);
		free(t);
	}
	port = th_free_port();
	snprintf(holder_url, sizeof(holder_url), "https://127.0.0.1:%d", port);
	return start_holder(port);
}

static int
teardown(void **state)
{
	int st;

	if (holder_pid > 0) {
		kill(holder_pid, SIGTERM);
		waitpid(holder_pid, &st, 0);
	}
	EVP_PKEY_free(mado_key);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(reply_key);
	return th_group_teardown(state);
}

struct hresp {
	long status;
	char *body;
	size_t len;
	CURLcode cc;
};

static size_t
grow(char *data, size_t size, size_t n, void *arg)
{
	struct hresp *r = arg;

	r->body = realloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, data, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

/* POSTs body to the holder's route, with the caller's certificate when cert is set. */
static void
post(const char *body, bool cert, struct hresp *r)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char url[128];
	CURL *c = curl_easy_init();

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s/holder/v1/answers", holder_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, caller_crt);
		curl_easy_setopt(c, CURLOPT_SSLKEY, caller_key);
	}
	{
		char ca[400];

		snprintf(ca, sizeof(ca), "%s/holder.crt", env.dir);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	r->cc = curl_easy_perform(c);
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (r->body == NULL)
		r->body = calloc(1, 1);
}

/* The problem type of a response, "" when it is none. */
static const char *
ptype(const struct hresp *r)
{
	static char buf[128];
	cJSON *j = cJSON_Parse(r->body);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");

	snprintf(buf, sizeof(buf), "%s", cJSON_IsString(t) ? t->valuestring : "");
	cJSON_Delete(j);
	return buf;
}

static void
new_record(char out[37])
{
	unsigned char b[16];

	assert_int_equal(RAND_bytes(b, (int)sizeof(b)), 1);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-4%x%02x-8%x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6] & 15, b[7], b[8] & 15, b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

/* A ticket as Mado makes it: for the holder, the test's subject, items (comma-separated),
   valid for a minute from now, sealed replies to the test's reply key. */
static void
ticket_of(struct mado_ticket *t, const char *holder, const char *items)
{
	char list[256], *tok, *save = NULL;

	memset(t, 0, sizeof(*t));
	new_record(t->record);
	snprintf(t->requester, sizeof(t->requester), "city-welfare");
	snprintf(t->holder, sizeof(t->holder), "%s", holder);
	snprintf(t->subject, sizeof(t->subject), "%s", SUBJECT);
	snprintf(list, sizeof(list), "%s", items);
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
		snprintf(t->items[t->n_items++], sizeof(t->items[0]), "%s", tok);
	snprintf(t->purpose, sizeof(t->purpose), "welfare.eligibility");
	snprintf(t->legal_ref, sizeof(t->legal_ref), "MNA-T2-21");
	t->iat = (long long)time(NULL);
	t->exp = t->iat + 60;
	assert_true(mado_seal_key_parse(reply_text, t->reply_key));
}

/* {"ticket": "<signed>"}: malloc'd. */
static char *
body_of(const char *ticket)
{
	cJSON *b = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(b, "ticket", ticket);
	text = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	return text;
}

static char *
signed_body(EVP_PKEY *key, struct mado_ticket *t)
{
	char *ticket = mado_ticket_sign(key, t), *body;

	assert_non_null(ticket);
	body = body_of(ticket);
	free(ticket);
	return body;
}

static long
requests(void)
{
	return hsql(NULL, 0, "SELECT count(*) FROM holder.requests");
}

/* The newest request row: its outcome, and its record ("" for NULL). */
static void
last_request(char *outcome, char *record)
{
	assert_int_not_equal(
	    hsql(outcome, 64, "SELECT outcome FROM holder.requests ORDER BY id DESC LIMIT 1"), -1);
	hsql(record, 40,
	     "SELECT coalesce(record::text, '') FROM holder.requests ORDER BY id DESC"
	     " LIMIT 1");
}

/* body sent with the caller's certificate is refused with status and the problem type
   slug, leaving exactly one request row with that outcome (and record, or none). */
static void
expect_refusal(const char *body, long status, const char *slug, const char *record)
{
	char type[128], outcome[64], rec[40];
	long before = requests();
	struct hresp r;

	post(body, true, &r);
	assert_int_equal(r.cc, CURLE_OK);
	assert_int_equal(r.status, status);
	snprintf(type, sizeof(type), "urn:mado:problem:%s", slug);
	assert_string_equal(ptype(&r), type);
	assert_int_equal(requests(), before + 1);
	last_request(outcome, rec);
	assert_string_equal(outcome, slug);
	assert_string_equal(rec, record != NULL ? record : "");
	free(r.body);
}

/* sql/holder/demo.sql (run twice in setup) gave alice the tax office's two items, once
   each, with the demo's values; for an organisation without demo values it fails. */
static void
test_demo_values(void **state)
{
	char pseudonym[64];

	(void)state;
	assert_int_equal(th_sql_str(&env, pseudonym, sizeof(pseudonym),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '" HOLDER "'",
				    alice.id),
			 0);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'"
			      " AND item IN ('tax.income', 'tax.withholding')"
			      " AND as_of = '2025-12-31' AND (value->>'year')::int = 2025",
			      pseudonym),
			 2);
	assert_int_equal(
	    hsql(NULL, 0, "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'", pseudonym),
	    2);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'"
			      " AND item = 'tax.income' AND (value->>'yen')::bigint"
			      " = 2000000 + ('x' || substr(md5(pseudonym), 1, 8))::bit(32)::bigint"
			      " %% 6000000",
			      pseudonym),
			 1);
	assert_int_not_equal(th_sh("psql -X -q -v ON_ERROR_STOP=1 -v org=police '%s'"
				   " -c 'CREATE TEMP TABLE demo_pseudonyms (pseudonym text)'"
				   " -f '%s/sql/holder/demo.sql' >/dev/null 2>&1",
				   conninfo, MADO_SOURCE_DIR),
			     0);
}

static void
test_ticket_missing(void **state)
{
	(void)state;
	expect_refusal("{}", 401, "ticket-missing", NULL);
	expect_refusal("{\"ticket\": \"\"}", 401, "ticket-missing", NULL);
}

static void
test_invalid_body(void **state)
{
	(void)state;
	expect_refusal("not json", 400, "invalid-body", NULL);
	expect_refusal("[\"ticket\"]", 400, "invalid-body", NULL);
	expect_refusal("{\"ticket\": 7}", 400, "invalid-body", NULL);
	expect_refusal("{\"ticket\": \"x\", \"more\": 1}", 400, "invalid-body", NULL);
}

static void
test_ticket_malformed(void **state)
{
	(void)state;
	expect_refusal("{\"ticket\": \"garbage\"}", 401, "ticket-malformed", NULL);
}

/* A payload changed after signing (here: another ticket's payload under the first one's
   signature, asking for more items) is refused, as is a ticket signed by another key. */
static void
test_ticket_signature(void **state)
{
	struct mado_ticket a, b;
	char *ta, *tb, *mixed, *body;

	(void)state;
	ticket_of(&a, HOLDER, "tax.income");
	b = a;
	snprintf(b.items[b.n_items++], sizeof(b.items[0]), "tax.withholding");
	ta = mado_ticket_sign(mado_key, &a);
	tb = mado_ticket_sign(mado_key, &b);
	assert_non_null(ta);
	assert_non_null(tb);
	assert_non_null(strchr(ta, '.'));
	assert_non_null(strchr(tb, '.'));
	mixed = calloc(1, strlen(ta) + strlen(tb) + 1);
	sprintf(mixed, "%.*s%s", (int)(strchr(tb, '.') - tb), tb, strchr(ta, '.'));
	body = body_of(mixed);
	expect_refusal(body, 401, "ticket-signature", NULL);
	free(body);
	free(mixed);
	free(ta);
	free(tb);

	ticket_of(&a, HOLDER, "tax.income");
	body = signed_body(other_key, &a);
	expect_refusal(body, 401, "ticket-signature", NULL);
	free(body);
	/* Neither record was used. */
	assert_int_equal(hsql(NULL, 0, "SELECT count(*) FROM holder.used_tickets"), 0);
}

static void
test_ticket_foreign(void **state)
{
	struct mado_ticket t;
	char *body;

	(void)state;
	ticket_of(&t, "pension-service", "tax.income");
	body = signed_body(mado_key, &t);
	expect_refusal(body, 403, "ticket-foreign", t.record);
	free(body);
}

static void
test_ticket_expired(void **state)
{
	struct mado_ticket t;
	char *body;

	(void)state;
	ticket_of(&t, HOLDER, "tax.income");
	t.iat -= 180;
	t.exp = t.iat + 60;
	body = signed_body(mado_key, &t);
	expect_refusal(body, 401, "ticket-expired", t.record);
	free(body);
	assert_int_equal(hsql(NULL, 0, "SELECT count(*) FROM holder.used_tickets"), 0);
}

/* Opens an answer to t: the plaintext's items object (caller deletes the root). */
static cJSON *
open_answer(const struct hresp *r, const struct mado_ticket *t, cJSON **root)
{
	cJSON *ans = cJSON_Parse(r->body), *plain, *items;
	const cJSON *sealed;
	size_t len;
	char *text;

	assert_non_null(ans);
	assert_string_equal(th_jstr(ans, "holder"), HOLDER);
	assert_string_equal(th_jstr(ans, "record"), t->record);
	sealed = cJSON_GetObjectItemCaseSensitive(ans, "sealed");
	assert_true(cJSON_IsString(sealed));
	/* Bound to its record: under another record it does not open. */
	assert_null(mado_seal_open(reply_key, "00000000-0000-4000-8000-000000000000",
				   sealed->valuestring, &len));
	text = mado_seal_open(reply_key, t->record, sealed->valuestring, &len);
	assert_non_null(text);
	cJSON_Delete(ans);
	plain = cJSON_Parse(text);
	free(text);
	assert_non_null(plain);
	assert_string_equal(th_jstr(plain, "record"), t->record);
	items = cJSON_GetObjectItemCaseSensitive(plain, "items");
	assert_true(cJSON_IsObject(items));
	*root = plain;
	return items;
}

static long long
yen(const cJSON *items, const char *item)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(items, item);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(i, "value");
	const cJSON *y = cJSON_GetObjectItemCaseSensitive(v, "yen");

	assert_true(cJSON_IsNumber(y));
	return (long long)y->valuedouble;
}

/* The holder has tax.income, tax.withholding and more for the subject; a ticket for the
   first two gets exactly those, sealed; the same record again is refused. */
static struct mado_ticket answered;

static void
test_answer_sealed(void **state)
{
	long before = requests();
	cJSON *root, *items;
	struct hresp r;
	char *body, outcome[64], rec[40];

	(void)state;
	ticket_of(&answered, HOLDER, "tax.income,tax.withholding");
	body = signed_body(mado_key, &answered);
	post(body, true, &r);
	free(body);
	assert_int_equal(r.cc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "4100000")); /* the values travel sealed only */
	items = open_answer(&r, &answered, &root);
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_int_equal(yen(items, "tax.income"), 4100000);
	assert_int_equal(yen(items, "tax.withholding"), 210000);
	assert_string_equal(th_jstr(cJSON_GetObjectItemCaseSensitive(items, "tax.income"), "as_of"),
			    "2025-12-31");
	cJSON_Delete(root);
	free(r.body);
	assert_int_equal(requests(), before + 1);
	last_request(outcome, rec);
	assert_string_equal(outcome, "answered");
	assert_string_equal(rec, answered.record);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.used_tickets WHERE record = '%s'",
			      answered.record),
			 1);
}

static void
test_replay_refused(void **state)
{
	char *body;

	(void)state;
	/* The same ticket again, and a fresh signature over the same record. */
	body = signed_body(mado_key, &answered);
	expect_refusal(body, 409, "ticket-replayed", answered.record);
	free(body);
	answered.nonce[0] = '\0';
	body = signed_body(mado_key, &answered);
	expect_refusal(body, 409, "ticket-replayed", answered.record);
	free(body);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.requests WHERE record = '%s'"
			      " AND outcome = 'answered'",
			      answered.record),
			 1);
}

/* A data period: only values whose day lies in it, none without a day. */
static void
test_period(void **state)
{
	struct mado_ticket t;
	cJSON *root, *items;
	struct hresp r;
	char *body;

	(void)state;
	ticket_of(&t, HOLDER, "tax.income,tax.last-year,tax.undated,tax.withholding");
	snprintf(t.from, sizeof(t.from), "2025-01-01");
	snprintf(t.to, sizeof(t.to), "2025-12-31");
	body = signed_body(mado_key, &t);
	post(body, true, &r);
	free(body);
	assert_int_equal(r.status, 200);
	items = open_answer(&r, &t, &root);
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(items, "tax.income"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(items, "tax.withholding"));
	cJSON_Delete(root);
	free(r.body);

	/* Without a period, the same items all come (undated too). */
	ticket_of(&t, HOLDER, "tax.income,tax.last-year,tax.undated,tax.missing");
	body = signed_body(mado_key, &t);
	post(body, true, &r);
	free(body);
	assert_int_equal(r.status, 200);
	items = open_answer(&r, &t, &root);
	assert_int_equal(cJSON_GetArraySize(items), 3);
	assert_int_equal(yen(items, "tax.last-year"), 3900000);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(items, "tax.undated"), "as_of")));
	cJSON_Delete(root);
	free(r.body);
}

/* Without a client certificate there is no TLS connection, so no answer and no row. */
static void
test_client_cert_required(void **state)
{
	long before = requests();
	struct mado_ticket t;
	struct hresp r;
	char *body;

	(void)state;
	ticket_of(&t, HOLDER, "tax.income");
	body = signed_body(mado_key, &t);
	post(body, false, &r);
	free(body);
	assert_int_not_equal(r.cc, CURLE_OK);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.len, 0);
	free(r.body);
	assert_int_equal(requests(), before);
	assert_int_equal(
	    hsql(NULL, 0, "SELECT count(*) FROM holder.used_tickets WHERE record = '%s'", t.record),
	    0);
}

/* Other paths and methods are refused, and logged, too. */
static void
test_other_routes(void **state)
{
	long before = requests();
	struct hresp r;
	char url[128];
	CURL *c = curl_easy_init();
	char ca[400];

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "%s/holder/v1/answers", holder_url);
	snprintf(ca, sizeof(ca), "%s/holder.crt", env.dir);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_SSLCERT, caller_crt);
	curl_easy_setopt(c, CURLOPT_SSLKEY, caller_key);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	assert_int_equal(r.status, 405);
	assert_string_equal(ptype(&r), "urn:mado:problem:method-not-allowed");
	free(r.body);
	memset(&r, 0, sizeof(r));
	snprintf(url, sizeof(url), "%s/", holder_url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	assert_int_equal(r.status, 404);
	assert_string_equal(ptype(&r), "urn:mado:problem:not-found");
	free(r.body);
	curl_easy_cleanup(c);
	assert_int_equal(requests(), before + 2);
}

/* A body over 16 KiB is refused before it is read as a ticket. */
static void
test_body_too_large(void **state)
{
	size_t n = 17000;
	char *body = malloc(n + 1);

	(void)state;
	memset(body, 'A', n);
	memcpy(body, "{\"ticket\": \"", 12);
	memcpy(body + n - 2, "\"}", 2);
	body[n] = '\0';
	expect_refusal(body, 413, "body-too-large", NULL);
	free(body);
}

struct racer {
	const char *body;
	pthread_barrier_t *go;
	long status;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct hresp h;

	pthread_barrier_wait(r->go);
	post(r->body, true, &h);
	r->status = h.status;
	free(h.body);
	return NULL;
}

/* The same ticket from several callers at once: one answer, the others replays. */
static void
test_replay_race(void **state)
{
	enum { N = 6 };
	struct racer racers[N];
	pthread_t threads[N];
	pthread_barrier_t go;
	struct mado_ticket t;
	int i, ok = 0, replayed = 0;
	char *body;

	(void)state;
	ticket_of(&t, HOLDER, "tax.income");
	body = signed_body(mado_key, &t);
	pthread_barrier_init(&go, NULL, N);
	for (i = 0; i < N; i++) {
		racers[i] = (struct racer){body, &go, 0};
		assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
	}
	for (i = 0; i < N; i++) {
		pthread_join(threads[i], NULL);
		ok += racers[i].status == 200;
		replayed += racers[i].status == 409;
	}
	pthread_barrier_destroy(&go);
	free(body);
	assert_int_equal(ok, 1);
	assert_int_equal(replayed, N - 1);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.requests WHERE record = '%s'"
			      " AND outcome = 'answered'",
			      t.record),
			 1);
}

/* The holder's database away: 503, and the record is not used, so the same ticket is
   answered once the database is back. Connections the database ended while idle are made
   again without a refusal. */
static void
test_database_away(void **state)
{
	struct mado_ticket t;
	struct hresp r;
	char *body;

	(void)state;
	ticket_of(&t, HOLDER, "tax.income");
	body = signed_body(mado_key, &t);
	assert_int_not_equal(th_sql(&env, "ALTER DATABASE holder_tax ALLOW_CONNECTIONS false"), -1);
	assert_int_not_equal(th_sql(&env, "SELECT count(pg_terminate_backend(pid))"
					  " FROM pg_stat_activity WHERE datname = 'holder_tax'"),
			     -1);
	post(body, true, &r);
	assert_int_equal(r.status, 503);
	assert_string_equal(ptype(&r), "urn:mado:problem:database-unavailable");
	free(r.body);
	assert_int_not_equal(th_sql(&env, "ALTER DATABASE holder_tax ALLOW_CONNECTIONS true"), -1);
	post(body, true, &r);
	assert_int_equal(r.status, 200);
	free(r.body);
	free(body);

	/* Idle connections ended under the holder. */
	assert_true(th_sql(&env, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				 " WHERE datname = 'holder_tax'") >= 1);
	ticket_of(&t, HOLDER, "tax.income");
	body = signed_body(mado_key, &t);
	post(body, true, &r);
	assert_int_equal(r.status, 200);
	free(r.body);
	free(body);
}

/* The operational log has a line per request with its outcome, and never a pseudonym, a
   ticket or a value. */
static void
test_log_clean(void **state)
{
	char *log = NULL, sig[64], *ticket;
	size_t len = 0;
	FILE *f;
	int lines = 0;
	const char *p;

	(void)state;
	ticket = mado_ticket_sign(mado_key, &answered);
	assert_non_null(ticket);
	/* A piece of the signature: no ticket text may appear. */
	snprintf(sig, sizeof(sig), "%.20s", strchr(ticket, '.') + 1);
	free(ticket);
	sleep_ms(300); /* the log's lines are written after the answers */
	assert_non_null(f = fopen(holder_log, "r"));
	while (getdelim(&log, &len, '\0', f) > 0)
		break;
	fclose(f);
	assert_non_null(log);
	for (p = log; (p = strstr(p, "outcome=")) != NULL; p++)
		lines++;
	assert_true(lines >= 15);
	assert_non_null(strstr(log, "outcome=answered"));
	assert_non_null(strstr(log, answered.record));
	assert_null(strstr(log, SUBJECT));
	assert_null(strstr(log, reply_text));
	assert_null(strstr(log, "4100000"));
	assert_null(strstr(log, "eyJ")); /* a JSON payload's base64url */
	assert_null(strstr(log, sig));
	free(log);
}

/* An internal read: values printed once mado took the report, which the person's log at
   mado then holds; with a certificate mado does not know, nothing is printed. */
static void
test_internal_read(void **state)
{
	char pseudonym[64], cmd[4096], *out = NULL, event[40];
	size_t len = 0;
	FILE *p;
	int st;

	(void)state;
	assert_int_equal(th_sql_str(&env, pseudonym, sizeof(pseudonym),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '" HOLDER "'",
				    alice.id),
			 0);
	snprintf(cmd, sizeof(cmd),
		 "'%s' read --org " HOLDER " --db '%s' --person '%s' --items tax.income"
		 " --officer clerk-7 --purpose tax.assessment --legal-ref MNA-T2-72"
		 " --mado https://127.0.0.1:%d --cert '%s/cards/%s.crt' --key '%s/cards/%s.key'"
		 " --ca '%s' 2>&1",
		 MADO_HOLDER_BINARY, app_conninfo, pseudonym, env.mtls_port, env.org_dir, HOLDER,
		 env.org_dir, HOLDER, env.ca);
	assert_non_null(p = popen(cmd, "r"));
	while (getdelim(&out, &len, '\0', p) > 0)
		break;
	st = pclose(p);
	assert_non_null(out);
	if (WEXITSTATUS(st) != 0)
		fprintf(stderr, "%s\n", out);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(out, "\"tax.income\""));
	assert_non_null(strstr(out, "2025-12-31"));
	free(out);
	out = NULL;
	assert_int_not_equal(hsql(event, sizeof(event),
				  "SELECT event_id FROM holder.internal_reads WHERE reported_at IS"
				  " NOT NULL AND officer = 'clerk-7'"),
			     -1);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.access_events WHERE event_id = '%s'"
				" AND person_id = '%s' AND org_code = '" HOLDER "'"
				" AND channel = 'report' AND officer = 'clerk-7'",
				event, alice.id),
			 1);

	/* A certificate mado binds to no organisation: the report is refused, no values. */
	snprintf(cmd, sizeof(cmd),
		 "'%s' read --org " HOLDER " --db '%s' --person '%s' --items tax.income"
		 " --officer clerk-8 --purpose tax.assessment --legal-ref MNA-T2-72"
		 " --mado https://127.0.0.1:%d --cert '%s/cards/unbound.crt'"
		 " --key '%s/cards/unbound.key' --ca '%s' 2>&1",
		 MADO_HOLDER_BINARY, app_conninfo, pseudonym, env.mtls_port, env.org_dir,
		 env.org_dir, env.ca);
	assert_non_null(p = popen(cmd, "r"));
	len = 0;
	while (getdelim(&out, &len, '\0', p) > 0)
		break;
	st = pclose(p);
	assert_int_not_equal(WEXITSTATUS(st), 0);
	assert_true(out == NULL || strstr(out, "2025-12-31") == NULL);
	free(out);
	assert_int_equal(hsql(NULL, 0,
			      "SELECT count(*) FROM holder.internal_reads WHERE officer = 'clerk-8'"
			      " AND reported_at IS NULL"),
			 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_values),          cmocka_unit_test(test_ticket_missing),
	    cmocka_unit_test(test_invalid_body),         cmocka_unit_test(test_ticket_malformed),
	    cmocka_unit_test(test_ticket_signature),     cmocka_unit_test(test_ticket_foreign),
	    cmocka_unit_test(test_ticket_expired),       cmocka_unit_test(test_answer_sealed),
	    cmocka_unit_test(test_replay_refused),       cmocka_unit_test(test_period),
	    cmocka_unit_test(test_client_cert_required), cmocka_unit_test(test_other_routes),
	    cmocka_unit_test(test_body_too_large),       cmocka_unit_test(test_replay_race),
	    cmocka_unit_test(test_database_away),        cmocka_unit_test(test_log_clean),
	    cmocka_unit_test(test_internal_read),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, teardown);
}
