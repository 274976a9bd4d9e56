/*
 * The load side of bench/login: N clients, each a browser with its own virtual card and
 * one keep-alive TLS connection, doing complete logins for D seconds: ask for a
 * challenge, have the card sign it, send the token, get a session. Prints one line:
 *
 *   logins=N failures=N seconds=S per_second=R p50_ms=X p99_ms=Y
 *
 *   mado-bench-login URL ORIGIN CARD_DIR CARD_PREFIX CLIENTS SECONDS [passkey]
 * Card i is CARD_PREFIX + i (0-based). Bench only: no certificate is checked.
 *
 * With `passkey`, each client first logs in with its card and adds a device (an EC P-256
 * passkey, attestation none, made here as an authenticator would), then does complete
 * passkey logins: ask for a challenge, sign the assertion, get a session.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "mado/util.h"
#include "mado/vcard.h"

struct client {
	pthread_t thread;
	int index;
	long logins, failures;
	double *lat; /* milliseconds of each login */
	size_t nlat, caplat;
};

static const char *url, *origin, *dir, *prefix;
static double seconds;
static int passkey;

struct buf {
	char data[16384];
	size_t len;
	char cookie[160];
};

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	if (b->len + len < sizeof(b->data)) {
		memcpy(b->data + b->len, p, len);
		b->len += len;
		b->data[b->len] = '\0';
	}
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	if (len > 24 && strncasecmp(p, "Set-Cookie: __Host-mado=", 24) == 0)
		snprintf(b->cookie, sizeof(b->cookie), "Cookie: %.*s", (int)strcspn(p + 12, ";"),
			 p + 12);
	return len;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One POST (csrf: a CSRF header or NULL); returns the status. */
static long
post_csrf(CURL *c, const char *path, const char *body, struct buf *b, const char *cookie,
	  const char *csrf)
{
	char full[512], originh[256];
	struct curl_slist *h = NULL;
	long status = 0;

	if (csrf != NULL)
		h = curl_slist_append(h, csrf);

	snprintf(full, sizeof(full), "%s%s", url, path);
	snprintf(originh, sizeof(originh), "Origin: %s", origin);
	h = curl_slist_append(h, originh);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (cookie != NULL && cookie[0] != '\0')
		h = curl_slist_append(h, cookie);
	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

static long
post(CURL *c, const char *path, const char *body, struct buf *b, const char *cookie)
{
	return post_csrf(c, path, body, b, cookie, NULL);
}

/* --- passkeys: the authenticator --- */

struct device {
	EVP_PKEY *key;
	unsigned char cred[32];
	char cred64[48];
	uint32_t count;
};

static void
cbor_put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	(void)cbor_map_add(map, (struct cbor_pair){.key = cbor_move(k), .value = cbor_move(v)});
}

/* Authenticator data for the origin's host: UP and UV, the counter, and with the COSE key
   when attested. */
static size_t
auth_data(const struct device *d, bool attested, unsigned char *ad)
{
	unsigned char pub[65], *cose = NULL;
	size_t n = 37, plen = sizeof(pub), clen, csize = 0;
	const char *host = strstr(origin, "://") + 3;
	cbor_item_t *m;

	SHA256((const unsigned char *)host, strcspn(host, ":/"), ad);
	ad[32] = 0x01 | 0x04 | (attested ? 0x40 : 0);
	ad[33] = (unsigned char)(d->count >> 24);
	ad[34] = (unsigned char)(d->count >> 16);
	ad[35] = (unsigned char)(d->count >> 8);
	ad[36] = (unsigned char)d->count;
	if (!attested)
		return n;
	memset(ad + n, 0, 16);
	ad[n + 16] = 0;
	ad[n + 17] = sizeof(d->cred);
	n += 18;
	memcpy(ad + n, d->cred, sizeof(d->cred));
	n += sizeof(d->cred);
	EVP_PKEY_get_octet_string_param(d->key, "pub", pub, sizeof(pub), &plen);
	m = cbor_new_definite_map(5);
	cbor_put(m, cbor_build_uint8(1), cbor_build_uint8(2));
	cbor_put(m, cbor_build_uint8(3), cbor_build_negint8(6));
	cbor_put(m, cbor_build_negint8(0), cbor_build_uint8(1));
	cbor_put(m, cbor_build_negint8(1), cbor_build_bytestring(pub + 1, 32));
	cbor_put(m, cbor_build_negint8(2), cbor_build_bytestring(pub + 33, 32));
	clen = cbor_serialize_alloc(m, &cose, &csize);
	cbor_decref(&m);
	memcpy(ad + n, cose, clen);
	free(cose);
	return n + clen;
}

/* base64url of bytes into a new string. */
static char *
b64url(const unsigned char *d, size_t n)
{
	char *out = malloc(n * 4 / 3 + 4);

	mado_b64url(d, n, out);
	return out;
}

/* The card session adds the device: options, then the attestation (none). */
static int
device_add(CURL *c, struct device *d, const char *cookie, const char *csrf)
{
	char cd[512], challenge[96], csrfh[96], body[4096], *cd64, *att64;
	unsigned char ad[512], *obj = NULL;
	size_t adlen, objlen, objsize = 0;
	cbor_item_t *m;
	struct buf b;
	cJSON *j;
	long st;

	snprintf(csrfh, sizeof(csrfh), "X-CSRF-Token: %s", csrf);
	if (post_csrf(c, "/api/v1/passkeys/options", "", &b, cookie, csrfh) != 200 ||
	    (j = cJSON_Parse(b.data)) == NULL)
		return -1;
	snprintf(challenge, sizeof(challenge), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "challenge")));
	cJSON_Delete(j);
	snprintf(cd, sizeof(cd),
		 "{\"type\":\"webauthn.create\",\"challenge\":\"%s\",\"origin\":\"%s\"}", challenge,
		 origin);
	adlen = auth_data(d, true, ad);
	m = cbor_new_definite_map(3);
	cbor_put(m, cbor_build_string("fmt"), cbor_build_string("none"));
	cbor_put(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
	cbor_put(m, cbor_build_string("authData"), cbor_build_bytestring(ad, adlen));
	objlen = cbor_serialize_alloc(m, &obj, &objsize);
	cbor_decref(&m);
	cd64 = b64url((const unsigned char *)cd, strlen(cd));
	att64 = b64url(obj, objlen);
	snprintf(body, sizeof(body),
		 "{\"name\":\"bench\",\"client_data_json\":\"%s\",\"attestation_object\":\"%s\"}",
		 cd64, att64);
	st = post_csrf(c, "/api/v1/passkeys", body, &b, cookie, csrfh);
	free(cd64);
	free(att64);
	free(obj);
	return st == 201 ? 0 : -1;
}

/* One passkey login: challenge, assertion, session. */
static int
passkey_login(CURL *c, struct device *d)
{
	char cd[512], challenge[96], cookie[160], body[4096], *cd64, *ad64, *sig64;
	unsigned char ad[64], buf[64 + 32], sig[128];
	size_t adlen, siglen = sizeof(sig);
	EVP_MD_CTX *ctx;
	struct buf b;
	cJSON *j;
	long st;

	b.cookie[0] = '\0';
	if (post(c, "/api/v1/auth/passkey/challenge", "", &b, NULL) != 200 ||
	    (j = cJSON_Parse(b.data)) == NULL)
		return -1;
	snprintf(challenge, sizeof(challenge), "%s",
		 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "challenge")));
	cJSON_Delete(j);
	snprintf(cookie, sizeof(cookie), "%s", b.cookie);
	snprintf(cd, sizeof(cd),
		 "{\"type\":\"webauthn.get\",\"challenge\":\"%s\",\"origin\":\"%s\"}", challenge,
		 origin);
	d->count++;
	adlen = auth_data(d, false, ad);
	memcpy(buf, ad, adlen);
	SHA256((const unsigned char *)cd, strlen(cd), buf + adlen);
	ctx = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, d->key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, buf, adlen + 32) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	EVP_MD_CTX_free(ctx);
	cd64 = b64url((const unsigned char *)cd, strlen(cd));
	ad64 = b64url(ad, adlen);
	sig64 = b64url(sig, siglen);
	snprintf(body, sizeof(body),
		 "{\"credential_id\":\"%s\",\"client_data_json\":\"%s\","
		 "\"authenticator_data\":\"%s\",\"signature\":\"%s\"}",
		 d->cred64, cd64, ad64, sig64);
	st = post(c, "/api/v1/auth/passkey", body, &b, cookie);
	free(cd64);
	free(ad64);
	free(sig64);
	return st == 200 ? 0 : -1;
}

static void *
run(void *arg)
{
	struct client *cl = arg;
	struct mado_vcard *card;
	char name[64], nonce[64], cookie[160], csrf[64];
	struct device dev;
	struct buf b;
	double start, t0;
	cJSON *j;
	char *token;
	CURL *c;

	snprintf(name, sizeof(name), "%s%d", prefix, cl->index);
	if (mado_vcard_load(dir, name, &card) != 0) {
		fprintf(stderr, "cannot load card %s\n", name);
		return NULL;
	}
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	if (passkey) {
		memset(&dev, 0, sizeof(dev));
		dev.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (dev.key == NULL || RAND_bytes(dev.cred, sizeof(dev.cred)) != 1)
			return NULL;
		mado_b64url(dev.cred, sizeof(dev.cred), dev.cred64);
		/* A card login, in which the device is added. */
		b.cookie[0] = '\0';
		if (post(c, "/api/v1/auth/challenge", "", &b, NULL) != 200 ||
		    (j = cJSON_Parse(b.data)) == NULL) {
			fprintf(stderr, "card %s: no challenge\n", name);
			return NULL;
		}
		snprintf(nonce, sizeof(nonce), "%s",
			 cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring);
		cJSON_Delete(j);
		snprintf(cookie, sizeof(cookie), "%s", b.cookie);
		if (mado_vcard_sign(card, origin, nonce, NULL, &token) != 0 ||
		    post(c, "/api/v1/auth/webeid", token, &b, cookie) != 200 ||
		    (j = cJSON_Parse(b.data)) == NULL) {
			fprintf(stderr, "card %s: no card login\n", name);
			return NULL;
		}
		free(token);
		snprintf(csrf, sizeof(csrf), "%s",
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "csrf_token")));
		cJSON_Delete(j);
		if (device_add(c, &dev, b.cookie, csrf) != 0) {
			fprintf(stderr, "card %s: the device was not added\n", name);
			return NULL;
		}
	}
	start = now_ms();
	while (now_ms() - start < seconds * 1000) {
		t0 = now_ms();
		if (passkey) {
			if (passkey_login(c, &dev) != 0) {
				cl->failures++;
				continue;
			}
			cl->logins++;
			if (cl->nlat == cl->caplat) {
				cl->caplat = cl->caplat ? cl->caplat * 2 : 1024;
				cl->lat = realloc(cl->lat, cl->caplat * sizeof(double));
			}
			cl->lat[cl->nlat++] = now_ms() - t0;
			continue;
		}
		b.cookie[0] = '\0';
		if (post(c, "/api/v1/auth/challenge", "", &b, NULL) != 200 ||
		    (j = cJSON_Parse(b.data)) == NULL) {
			cl->failures++;
			continue;
		}
		snprintf(nonce, sizeof(nonce), "%s",
			 cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring);
		cJSON_Delete(j);
		snprintf(cookie, sizeof(cookie), "%s", b.cookie);
		if (mado_vcard_sign(card, origin, nonce, NULL, &token) != 0) {
			cl->failures++;
			continue;
		}
		if (post(c, "/api/v1/auth/webeid", token, &b, cookie) == 200) {
			cl->logins++;
			if (cl->nlat == cl->caplat) {
				cl->caplat = cl->caplat ? cl->caplat * 2 : 1024;
				cl->lat = realloc(cl->lat, cl->caplat * sizeof(double));
			}
			cl->lat[cl->nlat++] = now_ms() - t0;
		} else {
			cl->failures++;
		}
		free(token);
	}
	curl_easy_cleanup(c);
	mado_vcard_free(card);
	if (passkey)
		EVP_PKEY_free(dev.key);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct client *cls;
	long logins = 0, failures = 0;
	double *all, t0, elapsed;
	size_t n = 0, i;
	int clients, k;

	if (argc != 7 && !(argc == 8 && strcmp(argv[7], "passkey") == 0)) {
		fprintf(stderr, "usage: mado-bench-login URL ORIGIN CARD_DIR CARD_PREFIX CLIENTS "
				"SECONDS [passkey]\n");
		return 2;
	}
	passkey = argc == 8;
	url = argv[1];
	origin = argv[2];
	dir = argv[3];
	prefix = argv[4];
	clients = atoi(argv[5]);
	seconds = atof(argv[6]);
	curl_global_init(CURL_GLOBAL_ALL);
	cls = calloc((size_t)clients, sizeof(*cls));
	t0 = now_ms();
	for (k = 0; k < clients; k++) {
		cls[k].index = k;
		pthread_create(&cls[k].thread, NULL, run, &cls[k]);
	}
	for (k = 0; k < clients; k++) {
		pthread_join(cls[k].thread, NULL);
		logins += cls[k].logins;
		failures += cls[k].failures;
		n += cls[k].nlat;
	}
	elapsed = (now_ms() - t0) / 1000;
	all = malloc((n + 1) * sizeof(double));
	for (k = 0, i = 0; k < clients; k++) {
		memcpy(all + i, cls[k].lat, cls[k].nlat * sizeof(double));
		i += cls[k].nlat;
		free(cls[k].lat);
	}
	qsort(all, n, sizeof(double), cmp);
	printf("logins=%ld failures=%ld seconds=%.1f per_second=%.1f p50_ms=%.2f p99_ms=%.2f\n",
	       logins, failures, elapsed, (double)logins / elapsed, n ? all[n / 2] : 0.0,
	       n ? all[(size_t)((double)n * 0.99)] : 0.0);
	free(all);
	free(cls);
	curl_global_cleanup();
	return failures > logins / 100 ? 1 : 0;
}
