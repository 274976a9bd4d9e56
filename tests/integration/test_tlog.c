/*
 * The transparency log against a real PostgreSQL and a real mado: records become leaves
 * within a batch or two, the API's proofs and a person's bundles verify with mado-verify,
 * and a database superuser's changes to history (a field, a deleted record, two records
 * swapped, the stored tree itself) are found by mado tlog-audit and mado-verify, and
 * refused by the witness. The sequencer survives SIGKILL mid-batch without losing or
 * repeating a record, and of two mado processes on one database only one sequences.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness.h"
#include "mado/tlog.h"
#include "mado/util.h"

static struct th_env env;
static struct th_person alice = {.card = "alice"};
static char dir[256];          /* keys, the witness's state, exported checkpoints */
static char vkey[512];         /* the log's verifier key, from the well-known URL */
static char wvkey[512];        /* the witness's */
static char verify_keys[1200]; /* mado-verify's key options */

#define scalar(...) th_sql(&env, __VA_ARGS__)

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Writes text to dir/name; returns the path (static buffer per call, four deep). */
static const char *
put(const char *name, const char *text)
{
	static char paths[4][400];
	static int n;
	char *p = paths[n++ % 4];
	FILE *f;

	snprintf(p, 400, "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
	return p;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = calloc(1, (size_t)n + 1);
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* n access records for p, written by portal.record_access as the gateway writes them. */
static void
records(const struct th_person *p, int n)
{
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.record_access(ARRAY(SELECT ROW(gen_random_uuid(),"
		   " '%s'::uuid, now() - i * interval '1 second', 'tax-office', NULL,"
		   " 'officer-' || (i %% 7), 'clerk', 'human', 'gateway', 'tax-assessment',"
		   " 'tlog-test', NULL, ARRAY['tax.income'], NULL, 'served', NULL, NULL,"
		   " NULL)::portal.access_record FROM generate_series(1, %d) i))",
		   p->id, n),
	    n);
}

/* Waits until nothing is pending and the tree's checkpoint is published. */
static bool
settled(int timeout_ms)
{
	int i;

	for (i = 0; i < timeout_ms / 50; i++) {
		if (scalar("SELECT count(*) FROM portal.tlog_pending") == 0 &&
		    scalar("SELECT count(*) FROM portal.tlog_state s JOIN portal.tlog_checkpoints c"
			   " ON c.size = s.size AND c.published") == 1)
			return true;
		sleep_ms(50);
	}
	return false;
}

static long
tree_size(void)
{
	return scalar("SELECT size FROM portal.tlog_state");
}

/* mado tlog-audit's exit status; its output in *out when out is not NULL. */
static int
audit(char **out)
{
	char *o = NULL;
	int st = th_mado_cmd(&env, "tlog-audit", &o);

	if (out != NULL)
		*out = o;
	else
		free(o);
	return st;
}

static int
verify(const char *args)
{
	return th_sh("'%s' %s %s >/dev/null 2>&1", MADO_VERIFY_BINARY, args, verify_keys);
}

/* The person's bundle of access record id (JSON text, malloc'd), or NULL with the status. */
static char *
bundle_of(const struct th_person *p, long id, long *status)
{
	struct th_resp r;
	char path[96];
	char *b = NULL;

	snprintf(path, sizeof(path), "/api/v1/me/access-log/%ld/proof", id);
	assert_int_equal(th_person_http(&env, p, "GET", path, NULL, &r), 0);
	*status = r.status;
	if (r.status == 200)
		b = strndup(r.body, r.len);
	th_resp_free(&r);
	return b;
}

/* The leaf index of access record id. */
static long
leaf_of(long id)
{
	return scalar(
	    "SELECT idx FROM portal.tlog_leaves WHERE kind = 'access' AND record_id = %ld", id);
}

static long
newest_record(const struct th_person *p)
{
	return scalar("SELECT max(id) FROM portal.access_events WHERE person_id = '%s'", p->id);
}

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, NULL};
	char conf[2400];

	*state = &env;
	snprintf(dir, sizeof(dir), "/tmp/mado-tlog-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	if (th_sh("openssl genpkey -algorithm ed25519 -out '%s/log.key' 2>/dev/null && "
		  "mkdir -p '%s/export'",
		  dir, dir) != 0 ||
	    th_tlog_witness(dir, wvkey, sizeof(wvkey)) != 0)
		return -1;
	/* The log's vkey is known only once mado runs (its name is the origin): the witness
	   reads it from a file the test writes after start. */
	snprintf(conf, sizeof(conf),
		 "tlog_key = %s/log.key\n"
		 "tlog_origin = mado.test/tlog\n"
		 "tlog_export_dir = %s/export\n"
		 "tlog_batch_ms = 100\n"
		 "tlog_batch_max = 500\n"
		 "tlog_witness = %s %s/witness.sh\n"
		 "tlog_witness_needed = 1\n",
		 dir, dir, wvkey, dir);
	/* The people first (the harness's setup takes no settings), then mado again with the
	   log's settings. */
	if (th_setup_people(&env, people, true) != 0 || th_conf_append(&env, conf) != 0 ||
	    th_mado_stop(&env) != 0 || th_mado_start(&env) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	th_sh("rm -rf '%s'", dir);
	return th_group_teardown(state);
}

/* The well-known key; the witness gets it too (its --log-key). */
static void
test_vkey_and_first_checkpoint(void **state)
{
	struct th_resp r;
	char cc[400];
	cJSON *j;

	(void)state;
	assert_int_equal(th_http(&env, "GET", "/.well-known/mado-tlog-vkey", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(vkey, sizeof(vkey), "%.*s", (int)strcspn(r.body, "\n"), r.body);
	assert_true(strncmp(vkey, "mado.test/tlog+", 15) == 0);
	th_resp_free(&r);
	put("log.vkey", vkey);
	/* The witnesses the browser checks cosignatures against. */
	assert_int_equal(
	    th_http(&env, "GET", "/.well-known/mado-tlog-witnesses", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	j = cJSON_Parse(r.body);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "needed")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "witnesses")), 1);
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "witnesses"), 0)->valuestring,
			    wvkey);
	cJSON_Delete(j);
	th_resp_free(&r);
	snprintf(verify_keys, sizeof(verify_keys), "--log-key '%s' --witness-key '%s'", vkey,
		 wvkey);

	records(&alice, 3);
	assert_true(settled(20000));
	assert_int_equal(th_http(&env, "GET", "/tlog/v1/checkpoint", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "mado.test/tlog\n"));
	/* Signed by the log and cosigned by the witness. */
	assert_non_null(strstr(r.body, "\xe2\x80\x94 mado.test/tlog "));
	assert_non_null(strstr(r.body, "\xe2\x80\x94 witness.test "));
	assert_null(
	    mado_tlog_note_verify(r.body, r.len, vkey, (const char *const[]){wvkey}, 1, 1, NULL));
	assert_non_null(th_header(&r, "Cache-Control", cc, sizeof(cc)));
	assert_non_null(strstr(cc, "max-age"));
	th_resp_free(&r);
	/* Exported outside the database, as published. */
	snprintf(cc, sizeof(cc), "%s/export/checkpoint.%ld", dir, tree_size());
	assert_int_equal(access(cc, R_OK), 0);
}

/* The hashes of the API's inclusion proof of leaf index in the tree of size, into path. */
static size_t
proof_of(long index, long size, unsigned char path[MADO_TLOG_MAX_PATH][32])
{
	char q[160];
	struct th_resp r;
	size_t n = 0, k, len;
	unsigned char *d;
	cJSON *j, *h;

	snprintf(q, sizeof(q), "/tlog/v1/proof/inclusion?index=%ld&size=%ld", index, size);
	assert_int_equal(th_http(&env, "GET", q, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	h = cJSON_GetObjectItem(j, "hashes");
	for (k = 0; k < (size_t)cJSON_GetArraySize(h) && n < MADO_TLOG_MAX_PATH; k++) {
		const char *s = cJSON_GetArrayItem(h, (int)k)->valuestring;

		assert_non_null(d = mado_b64_decode(s, strlen(s), &len));
		assert_int_equal(len, 32);
		memcpy(path[n++], d, 32);
		free(d);
	}
	cJSON_Delete(j);
	return n;
}

static void
test_bundle_and_proofs_verify(void **state)
{
	struct mado_tlog_checkpoint cp;
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	char *b, q[400], old_cp[400];
	const char *old_note_file;
	struct th_resp r;
	long st, id, idx, size1, size2;
	cJSON *j;
	size_t n;

	(void)state;
	records(&alice, 2);
	assert_true(settled(20000));
	id = newest_record(&alice);
	assert_non_null(b = bundle_of(&alice, id, &st));
	snprintf(q, sizeof(q), "bundle '%s'", put("bundle.json", b));
	assert_int_equal(verify(q), 0);
	/* The bundle is the entry's: its record and its leaf. */
	assert_non_null(j = cJSON_Parse(b));
	assert_int_equal(cJSON_GetObjectItem(j, "index")->valuedouble, (double)leaf_of(id));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "record"), "id")->valuedouble,
			 (double)id);
	assert_null(mado_tlog_bundle_verify(j, vkey, (const char *const[]){wvkey}, 1, 1, &cp));
	cJSON_Delete(j);
	free(b);

	/* The public inclusion proof of the same leaf checks against the checkpoint. */
	idx = leaf_of(id);
	size1 = (long)cp.size;
	n = proof_of(idx, size1, path);
	{
		/* The leaf hash from the level-0 tile, as anyone can fetch it. */
		char tp[64];
		unsigned char leaf[32];

		snprintf(tp, sizeof(tp), "/tlog/v1/tile/0/%03ld.p/%ld", idx / 256,
			 size1 - (idx / 256) * 256 > 255 ? 255 : size1 - (idx / 256) * 256);
		if (size1 - (idx / 256) * 256 >= 256)
			snprintf(tp, sizeof(tp), "/tlog/v1/tile/0/%03ld", idx / 256);
		assert_int_equal(th_http(&env, "GET", tp, NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		assert_true(r.len >= (size_t)(idx % 256 + 1) * 32);
		assert_non_null(th_header(&r, "Cache-Control", q, sizeof(q)));
		assert_non_null(strstr(q, "immutable"));
		memcpy(leaf, r.body + (idx % 256) * 32, 32);
		th_resp_free(&r);
		assert_true(mado_tlog_verify_inclusion((uint64_t)idx, (uint64_t)size1, leaf,
						       (const unsigned char(*)[32])path, n,
						       cp.root));
	}

	/* A consistency proof between two exported checkpoints verifies with mado-verify. */
	snprintf(old_cp, sizeof(old_cp), "%s/export/checkpoint.%ld", dir, size1);
	old_note_file = old_cp;
	records(&alice, 4);
	assert_true(settled(20000));
	size2 = tree_size();
	snprintf(q, sizeof(q), "/tlog/v1/proof/consistency?old=%ld&new=%ld", size1, size2);
	assert_int_equal(th_http(&env, "GET", q, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	{
		char cmd[1400], newf[400];

		snprintf(newf, sizeof(newf), "%s/export/checkpoint.%ld", dir, size2);
		snprintf(cmd, sizeof(cmd), "consistency '%s' '%s' '%s'", old_note_file, newf,
			 put("proof.json", r.body));
		assert_int_equal(verify(cmd), 0);
	}
	th_resp_free(&r);
	/* Proofs beyond the published tree are refused. */
	snprintf(q, sizeof(q), "/tlog/v1/proof/inclusion?index=0&size=%ld", size2 + 1000);
	assert_int_equal(th_http(&env, "GET", q, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 422);
	th_resp_free(&r);
	assert_int_equal(audit(NULL), 0);
}

/* 32 bytes from the base64 text (encode(x, 'base64')) the query answers. */
static void
hash_from_sql(unsigned char out[32], const char *fmt, ...)
{
	char b64[64], sql[300];
	unsigned char *d;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_int_equal(th_sql_str(&env, b64, sizeof(b64), "%s", sql), 0);
	assert_non_null(d = mado_b64_decode(b64, strlen(b64), &len));
	assert_int_equal(len, 32);
	memcpy(out, d, 32);
	free(d);
}

/* The API's inclusion proof of leaf index in the tree of size checks against the root the
   sequencer signed for that size and the leaf hash the level-0 tile holds. */
static void
proof_checks(long index, long size)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32], leaf[32], root[32];
	size_t n;

	hash_from_sql(root,
		      "SELECT encode(root, 'base64') FROM portal.tlog_checkpoints WHERE size = %ld",
		      size);
	hash_from_sql(leaf,
		      "SELECT encode(substring(hashes FROM %ld FOR 32), 'base64')"
		      " FROM portal.tlog_tiles WHERE level = 0 AND idx = %ld",
		      (index % 256) * 32 + 1, index / 256);
	n = proof_of(index, size, path);
	if (!mado_tlog_verify_inclusion((uint64_t)index, (uint64_t)size, leaf,
					(const unsigned char(*)[32])path, n, root))
		fail_msg("the proof of leaf %ld in a tree of %ld does not verify", index, size);
}

/* Past one tile: proofs that cross full and partial tiles of two levels, at the sizes the
   sequencer signed, each asked twice (the second from the server's copies of the tiles). */
static void
test_proofs_across_tiles(void **state)
{
	long sizes[3], idx[8], s;
	int i, k, n;

	(void)state;
	records(&alice, 300);
	assert_true(settled(30000));
	records(&alice, 300);
	assert_true(settled(30000));
	assert_true(tree_size() > 512);
	/* The newest checkpoints: the last one's tree, and two before it. */
	for (n = 0; n < 3; n++) {
		sizes[n] = scalar("SELECT size FROM portal.tlog_checkpoints WHERE published"
				  " ORDER BY size DESC OFFSET %d LIMIT 1",
				  n);
		if (sizes[n] < 2)
			break;
	}
	for (i = 0; i < n; i++) {
		s = sizes[i];
		idx[0] = 0, idx[1] = 1, idx[2] = 255, idx[3] = 256, idx[4] = 511;
		idx[5] = s / 2, idx[6] = s - 2, idx[7] = s - 1;
		for (k = 0; k < 8; k++)
			if (idx[k] < s) {
				proof_checks(idx[k], s);
				proof_checks(idx[k], s);
			}
	}
	assert_true(n >= 2);
}

/* The JSON export carries a bundle for each entry in the published tree, and a consent
   receipt its step's bundle: mado-verify checks both. */
static void
test_export_and_receipt_carry_bundles(void **state)
{
	struct th_resp r;
	char path[160], q[1400], pem[400];
	cJSON *j;
	const char *id;

	(void)state;
	records(&alice, 2);
	assert_true(settled(20000));
	assert_int_equal(th_person_http(&env, &alice, "GET",
					"/api/v1/me/access-log/export?format=json", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "bundles")) >= 9);
	cJSON_Delete(j);
	snprintf(q, sizeof(q), "export '%s'", put("export.json", r.body));
	th_resp_free(&r);
	assert_int_equal(verify(q), 0);

	assert_int_equal(th_person_http(&env, &alice, "POST", "/api/v1/me/consents/push",
					"{\"programme\":\"benefit-eligibility\",\"valid_days\":30}",
					&r),
			 0);
	assert_int_equal(r.status, 201);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_non_null(id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")));
	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt", id);
	cJSON_Delete(j);
	assert_true(settled(20000));
	assert_int_equal(th_person_http(&env, &alice, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "bundle"), "kind")),
	    "consent");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "%s", put("receipt.json", r.body));
	th_resp_free(&r);
	assert_int_equal(th_http(&env, "GET", "/api/v1/consent-receipt-key", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(pem, sizeof(pem), "%s", put("receipt.pem", r.body));
	th_resp_free(&r);
	snprintf(q, sizeof(q), "receipt '%s' --key '%s'", path, pem);
	assert_int_equal(verify(q), 0);
}

/* Every kind of value a record holds (text in Japanese, a list of one item and a longer
   one, nulls, a time with microseconds before 1970 and after, a date, a consent) becomes the same
   leaf in the sequencer, which reads the rows in binary, and in the audit and the bundle, which
   read them as text and JSON. */
static void
test_every_value_hashes_alike(void **state)
{
	long id;

	(void)state;
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.record_access(ARRAY[ROW(gen_random_uuid(),"
		   " '%s'::uuid, '1969-12-31 23:59:59.000001+00', 'tax-office', 'city-welfare',"
		   " 'officer-9', '税務課 職員', 'human', 'gateway', 'tax-assessment', "
		   "'地方税法第1条',"
		   " '事件-7', ARRAY['tax.income', 'resident.address', '住所'], gen_random_uuid(),"
		   " 'denied', 'no-consent', '2031-12-31', '東京地方裁判所')::portal.access_record,"
		   " ROW(gen_random_uuid(), '%s'::uuid, '2026-11-30 23:59:59.999999+09',"
		   " 'tax-office', NULL, NULL, NULL, 'machine', 'gateway', 'tax-assessment', 'x',"
		   " NULL, ARRAY['tax.income'], NULL, 'served', NULL, NULL, "
		   "NULL)::portal.access_record])",
		   alice.id, alice.id),
	    2);
	assert_true(settled(20000));
	id = newest_record(&alice);
	assert_true(leaf_of(id) >= 0);
	assert_true(leaf_of(id - 1) >= 0);
	assert_int_equal(audit(NULL), 0);
	/* The tests after this one take the newest records as ordinary ones. */
	records(&alice, 2);
	assert_true(settled(20000));
}

/* A record that commits late: written (id and place in the queue handed out) before
   2,500 others that are sequenced while it is still open, it then waits at the head of the
   queue with ten newer records whose ids lie far above it. It is integrated, they wait for
   the next batch (their ids are outside its range), and every record is a leaf once. */
static void *
late_writer(void *arg)
{
	const struct th_person *p = arg;

	if (scalar("SELECT count(*) FROM portal.record_access(ARRAY[ROW(gen_random_uuid(),"
		   " '%s'::uuid, now(), 'tax-office', NULL, 'officer-1', 'clerk', 'human',"
		   " 'gateway', 'tax-assessment', 'late', NULL, ARRAY['tax.income'], NULL,"
		   " 'served', NULL, NULL, NULL)::portal.access_record]); SELECT pg_sleep(4)",
		   p->id) < 0)
		return (void *)1;
	return NULL;
}

static void
test_late_commit_sequenced_once(void **state)
{
	pthread_t t;
	void *failed;
	long size0, late;

	(void)state;
	assert_true(settled(20000));
	size0 = tree_size();
	assert_int_equal(pthread_create(&t, NULL, late_writer, &alice), 0);
	sleep_ms(500);
	records(&alice, 2500);
	assert_true(settled(30000));
	assert_int_equal(tree_size(), size0 + 2500);
	assert_int_equal(th_mado_stop(&env), 0);
	records(&alice, 10);
	pthread_join(t, &failed);
	assert_null(failed);
	late = scalar("SELECT id FROM portal.access_events WHERE legal_ref = 'late'");
	assert_true(late > 0);
	/* The ten are beyond the range of a batch that starts at it (4 x tlog_batch_max). */
	assert_int_equal(scalar("SELECT count(*) FROM (SELECT id FROM portal.access_events"
				" WHERE person_id = '%s' ORDER BY id DESC LIMIT 10) n"
				" WHERE n.id > %ld + 4 * 500",
				alice.id, late),
			 10);
	assert_int_equal(th_mado_start(&env), 0);
	assert_true(settled(30000));
	assert_int_equal(tree_size(), size0 + 2511);
	assert_true(leaf_of(late) >= size0 + 2500);
	assert_int_equal(scalar("SELECT count(*) FROM portal.tlog_leaves WHERE kind = 'access'"
				" AND record_id > %ld",
				late),
			 2510);
	assert_int_equal(scalar("SELECT count(*) FROM (SELECT record_id FROM portal.tlog_leaves"
				" GROUP BY kind, record_id HAVING count(*) > 1) d"),
			 0);
	assert_int_equal(audit(NULL), 0);
}

/* A field of a stored record changed by a superuser: the audit names the leaf, and the
   bundle the person gets now no longer verifies. Put back, all agrees again. */
static void
test_changed_field_found(void **state)
{
	char *out, *b, want[64], q[600];
	long id, idx, st, version;

	(void)state;
	id = newest_record(&alice);
	idx = leaf_of(id);
	assert_true(idx >= 0);
	assert_int_equal(scalar("SET session_replication_role = replica;"
				" UPDATE portal.access_events SET purpose = 'pension-check'"
				" WHERE id = %ld AND person_id = '%s'",
				id, alice.id),
			 1);
	assert_int_not_equal(audit(&out), 0);
	snprintf(want, sizeof(want), "index %ld:", idx);
	if (strstr(out, want) == NULL)
		fail_msg("tlog-audit did not name %s: %s", want, out);
	free(out);
	assert_non_null(b = bundle_of(&alice, id, &st));
	snprintf(q, sizeof(q), "bundle '%s'", put("changed.json", b));
	assert_int_equal(verify(q), 1);
	free(b);

	assert_int_equal(scalar("SET session_replication_role = replica;"
				" UPDATE portal.access_events SET purpose = 'tax-assessment'"
				" WHERE id = %ld AND person_id = '%s'",
				id, alice.id),
			 1);
	assert_int_equal(audit(NULL), 0);

	/* The register version the access was served under is part of the record too. */
	version = scalar("SELECT coalesce(register_version, -1) FROM portal.access_events"
			 " WHERE id = %ld AND person_id = '%s'",
			 id, alice.id);
	assert_int_equal(scalar("SET session_replication_role = replica;"
				" UPDATE portal.access_events SET register_version = 999"
				" WHERE id = %ld AND person_id = '%s'",
				id, alice.id),
			 1);
	assert_int_not_equal(audit(&out), 0);
	if (strstr(out, want) == NULL)
		fail_msg("tlog-audit did not name %s after a changed version: %s", want, out);
	free(out);
	assert_int_equal(
	    scalar("SET session_replication_role = replica;"
		   " UPDATE portal.access_events SET register_version = NULLIF(%ld, -1)"
		   " WHERE id = %ld AND person_id = '%s'",
		   version, id, alice.id),
	    1);
	assert_int_equal(audit(NULL), 0);
}

/* A deleted record: the audit names its leaf; the bundle the person saved before still
   proves the record was in the log. */
static void
test_deleted_record_found(void **state)
{
	char *out, *b, want[64], q[600];
	long id, idx, st;

	(void)state;
	id = scalar("SELECT min(id) FROM portal.access_events WHERE person_id = '%s'"
		    " AND legal_ref = 'tlog-test'",
		    alice.id);
	idx = leaf_of(id);
	assert_non_null(b = bundle_of(&alice, id, &st));
	snprintf(q, sizeof(q), "bundle '%s'", put("saved.json", b));
	free(b);
	assert_int_equal(scalar("CREATE TABLE public.kept AS SELECT * FROM portal.access_events"
				" WHERE id = %ld",
				id),
			 1);
	assert_int_equal(scalar("SET session_replication_role = replica;"
				" DELETE FROM portal.access_events WHERE id = %ld",
				id),
			 1);
	assert_int_not_equal(audit(&out), 0);
	snprintf(want, sizeof(want), "index %ld:", idx);
	if (strstr(out, want) == NULL)
		fail_msg("tlog-audit did not name %s: %s", want, out);
	free(out);
	assert_int_equal(verify(q), 0);

	assert_int_equal(scalar("INSERT INTO portal.access_events OVERRIDING SYSTEM VALUE"
				" SELECT * FROM public.kept"),
			 1);
	scalar("DROP TABLE public.kept");
	assert_int_equal(audit(NULL), 0);
}

/* Two records swapped (their times, event ids and officials: each claims the other's
   place in the order): the audit names the first of the two leaves. */
static void
test_swapped_records_found(void **state)
{
	static const char swap[] =
	    "SET session_replication_role = replica;"
	    " UPDATE portal.access_events e SET occurred_at = o.occurred_at, event_id = o.event_id,"
	    " officer = o.officer FROM portal.access_events o"
	    " WHERE e.person_id = '%s' AND o.person_id = '%s'"
	    " AND ((e.id = %ld AND o.id = %ld) OR (e.id = %ld AND o.id = %ld))";
	char *out, *b, want[64], q[600];
	long a, z, ia, iz, st;

	(void)state;
	z = newest_record(&alice);
	a = scalar("SELECT max(id) FROM portal.access_events WHERE person_id = '%s' AND id < %ld"
		   " AND officer <> (SELECT officer FROM portal.access_events WHERE id = %ld)",
		   alice.id, z, z);
	ia = leaf_of(a);
	iz = leaf_of(z);
	assert_true(ia >= 0 && iz > ia);
	assert_int_equal(scalar(swap, alice.id, alice.id, a, z, z, a), 2);
	assert_int_not_equal(audit(&out), 0);
	snprintf(want, sizeof(want), "index %ld:", ia);
	if (strstr(out, want) == NULL)
		fail_msg("tlog-audit did not name %s: %s", want, out);
	free(out);
	assert_non_null(b = bundle_of(&alice, z, &st));
	snprintf(q, sizeof(q), "bundle '%s'", put("swapped.json", b));
	assert_int_equal(verify(q), 1);
	free(b);
	assert_int_equal(scalar(swap, alice.id, alice.id, a, z, z, a), 2);
	assert_int_equal(audit(NULL), 0);
}

/* SIGKILL while the sequencer is inside a batch: after the restart every record is in
   the tree exactly once, the indexes run without a gap, and the audit agrees. */
static void
test_kill_mid_batch(void **state)
{
	long before = tree_size(), leaves;
	int i;

	(void)state;
	records(&alice, 6000);
	for (i = 0; i < 2000; i++) {
		if (scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
			   " 'mado-sequencer' AND xact_start IS NOT NULL") == 1 &&
		    tree_size() > before)
			break;
		sleep_ms(5);
	}
	assert_true(i < 2000);
	assert_int_equal(th_mado_kill(&env), 0);
	assert_true(scalar("SELECT count(*) FROM portal.tlog_pending") > 0);
	assert_int_equal(th_mado_start(&env), 0);
	assert_true(settled(120000));
	leaves = scalar("SELECT count(*) FROM portal.tlog_leaves");
	assert_int_equal(leaves, scalar("SELECT (SELECT count(*) FROM portal.access_events) +"
					" (SELECT count(*) FROM portal.consent_events)"));
	assert_int_equal(leaves, tree_size());
	assert_int_equal(scalar("SELECT max(idx) + 1 FROM portal.tlog_leaves"), leaves);
	assert_int_equal(scalar("SELECT count(*) FROM (SELECT 1 FROM portal.tlog_leaves"
				" GROUP BY kind, record_id HAVING count(*) > 1) d"),
			 0);
	assert_int_equal(audit(NULL), 0);
}

/* A second mado on the same database: one advisory lock, one sequencer; when the first
   dies, the second takes over. */
static void
test_two_processes_one_sequencer(void **state)
{
	struct th_env e2 = env;
	char listen[64], *log;

	(void)state;
	e2.port = th_free_port();
	e2.mtls_port = 0;
	snprintf(e2.url, sizeof(e2.url), "https://127.0.0.1:%d", e2.port);
	snprintf(e2.log, sizeof(e2.log), "%s/mado2.log", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", e2.port);
	setenv("MADO_LISTEN", listen, 1);
	setenv("MADO_MTLS_LISTEN", "", 1);
	assert_int_equal(th_mado_start(&e2), 0);
	unsetenv("MADO_LISTEN");
	unsetenv("MADO_MTLS_LISTEN");

	sleep_ms(1000);
	assert_int_equal(scalar("SELECT count(*) FROM pg_stat_activity"
				" WHERE application_name = 'mado-sequencer'"),
			 2);
	assert_int_equal(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
				" AND classid = 1835099247 AND objid = 15 AND granted"),
			 1);
	records(&alice, 20);
	assert_true(settled(20000));
	log = th_log_when(&e2, "this process sequences", 500);
	assert_null(strstr(log, "this process sequences"));
	free(log);

	assert_int_equal(th_mado_kill(&env), 0);
	log = th_log_when(&e2, "this process sequences", 15000);
	assert_non_null(strstr(log, "this process sequences"));
	free(log);
	records(&alice, 20);
	assert_true(settled(20000));
	assert_int_equal(scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
				" AND classid = 1835099247 AND objid = 15 AND granted"),
			 1);
	assert_int_equal(th_mado_stop(&e2), 0);
	assert_int_equal(th_mado_start(&env), 0);
	records(&alice, 1);
	assert_true(settled(20000));
	assert_int_equal(audit(NULL), 0);
}

/* The stored tree rewritten under the last published checkpoint (a leaf hash in its
   newest tile): the audit names the leaf, a consistency proof from an earlier exported
   checkpoint to the published one no longer verifies, and the witness refuses the next
   checkpoint, which is therefore never published. Last: the log is forked after it. */
static void
test_rewritten_tree_refused(void **state)
{
	char *out, want[64], q[1400], oldf[400], newf[400];
	struct th_resp r;
	long s0, s1;
	int i;

	(void)state;
	s0 = tree_size();
	if ((s0 & (s0 - 1)) == 0) {
		records(&alice, 1);
		assert_true(settled(20000));
		s0 = tree_size();
	}
	records(&alice, 3);
	assert_true(settled(20000));
	s1 = tree_size();
	if (s1 % 256 == 0) {
		records(&alice, 1);
		assert_true(settled(20000));
		s1 = tree_size();
	}
	assert_int_equal(scalar("SET session_replication_role = replica;"
				" UPDATE portal.tlog_tiles SET hashes = overlay(hashes PLACING"
				" sha256('forged') FROM %ld FOR 32) WHERE level = 0 AND idx = %ld",
				((s1 - 1) % 256) * 32 + 1, (s1 - 1) / 256),
			 1);
	assert_int_not_equal(audit(&out), 0);
	snprintf(want, sizeof(want), "index %ld:", s1 - 1);
	if (strstr(out, want) == NULL)
		fail_msg("tlog-audit did not name %s: %s", want, out);
	free(out);

	snprintf(q, sizeof(q), "/tlog/v1/proof/consistency?old=%ld&new=%ld", s0, s1);
	assert_int_equal(th_http(&env, "GET", q, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	snprintf(oldf, sizeof(oldf), "%s/export/checkpoint.%ld", dir, s0);
	snprintf(newf, sizeof(newf), "%s/export/checkpoint.%ld", dir, s1);
	snprintf(q, sizeof(q), "consistency '%s' '%s' '%s'", oldf, newf,
		 put("forged.json", r.body));
	th_resp_free(&r);
	assert_int_equal(verify(q), 1);

	records(&alice, 2);
	for (i = 0; i < 100 && scalar("SELECT count(*) FROM portal.tlog_checkpoints"
				      " WHERE size > %ld",
				      s1) == 0;
	     i++)
		sleep_ms(50);
	assert_true(i < 100);
	/* The witness is asked, and refuses. */
	snprintf(want, sizeof(want), "did not cosign checkpoint %ld",
		 scalar("SELECT max(size) FROM portal.tlog_checkpoints"));
	out = th_log_when(&env, want, 15000);
	assert_non_null(strstr(out, want));
	free(out);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.tlog_cosignatures WHERE size > %ld", s1), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.tlog_checkpoints WHERE size > %ld"
				" AND published",
				s1),
			 0);
	assert_int_equal(th_http(&env, "GET", "/tlog/v1/checkpoint", NULL, NULL, 0, &r), 0);
	snprintf(want, sizeof(want), "\n%ld\n", s1);
	assert_non_null(strstr(r.body, want));
	th_resp_free(&r);
	snprintf(q, sizeof(q), "%s/export/checkpoint", dir);
	assert_non_null(out = slurp(q));
	assert_non_null(strstr(out, want));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vkey_and_first_checkpoint),
	    cmocka_unit_test(test_bundle_and_proofs_verify),
	    cmocka_unit_test(test_proofs_across_tiles),
	    cmocka_unit_test(test_export_and_receipt_carry_bundles),
	    cmocka_unit_test(test_every_value_hashes_alike),
	    cmocka_unit_test(test_late_commit_sequenced_once),
	    cmocka_unit_test(test_changed_field_found),
	    cmocka_unit_test(test_deleted_record_found),
	    cmocka_unit_test(test_swapped_records_found),
	    cmocka_unit_test(test_kill_mid_batch),
	    cmocka_unit_test(test_two_processes_one_sequencer),
	    cmocka_unit_test(test_rewritten_tree_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
