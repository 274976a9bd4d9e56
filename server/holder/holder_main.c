/*
 * mado-holder: the service a data holder (an agency) runs beside its own database.
 *
 *   serve: answers Mado's tickets over mutual TLS with values sealed to the requester.
 *   read:  an internal read by the holder's own official, reported to Mado as an access.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "mado/check.h"
#include "mado/cli.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"
#include "holder_int.h"

/* CivetWeb's workers: one serves a connection for as long as it is kept alive, and each of
   Mado's workers keeps one to the holder, so there are as many as Mado has (num_threads'
   default); the queries share a few database connections. */
#define HOLDER_THREADS    "128"
#define HOLDER_CONNS      4
#define REPORT_TIMEOUT_S  20
#define REPORT_ANSWER_MAX 65536

/* The stop signals go to the thread that waits for them (workers inherit the mask). */
static sigset_t stop_signals;

/* --log FILE: the operational log goes there instead of stderr. */
static int
log_to(const char *path)
{
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) == -1)
		return -1;
	if (dup2(fd, STDERR_FILENO) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Mado's ticket key: an Ed25519 public key in PEM. */
static EVP_PKEY *
load_mado_key(const char *path)
{
	EVP_PKEY *k = NULL;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k != NULL && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

struct tls_files {
	const char *cert, *key, *ca;
};

/* What CivetWeb's callbacks see: the TLS files and the service. */
struct holder_ctx {
	const struct tls_files *tls;
	struct holder_service svc;
};

/*
 * The listener's TLS, set on CivetWeb's context before its own settings (which repeat the
 * client checks below): the server certificate and key from their files, and a client
 * certificate from the CA required at the handshake.
 */
static int
init_ssl(void *ssl_ctx, void *user_data)
{
	const struct tls_files *f = ((const struct holder_ctx *)user_data)->tls;
	STACK_OF(X509_NAME) *names;
	SSL_CTX *ctx = ssl_ctx;

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, f->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, f->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, f->ca, NULL) != 1)
		return -1;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	if ((names = SSL_load_client_CA_file(f->ca)) != NULL)
		SSL_CTX_set_client_CA_list(ctx, names);
	return 0;
}

static int
log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	/* CivetWeb's messages name sockets and files, not people. */
	mado_log_warn(NULL, "civetweb: %s", message);
	return 1;
}

static int
begin_request(struct mg_connection *conn)
{
	const struct holder_ctx *hc = mg_get_user_data(mg_get_context(conn));

	return holder_api_request(conn, &hc->svc);
}

int
holder_serve(int argc, char **argv)
{
	const char *org = NULL, *db = NULL, *listen = NULL, *cert = NULL, *key = NULL, *ca = NULL,
		   *mado_key = NULL, *logpath = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the holder's organisation code at Mado"),
	    MADO_CLI_REQUIRED("db", "CONNINFO", &db, "the holder's database (libpq conninfo)"),
	    MADO_CLI_REQUIRED("listen", "HOST:PORT", &listen, "address to listen on (TLS)"),
	    MADO_CLI_REQUIRED("cert", "FILE", &cert, "the server's certificate chain (PEM)"),
	    MADO_CLI_REQUIRED("key", "FILE", &key, "the server's private key (PEM)"),
	    MADO_CLI_REQUIRED("ca", "FILE", &ca,
			      "CA certificates whose client certificates may call (PEM)"),
	    MADO_CLI_REQUIRED("mado-key", "FILE", &mado_key,
			      "Mado's ticket public key (PEM, Ed25519)"),
	    MADO_CLI_VALUE("log", "FILE", &logpath, "the operational log (default: stderr)"),
	};
	struct mado_cli cli = {
	    .name = "mado-holder serve",
	    .synopsis = "--org CODE --db CONNINFO --listen HOST:PORT --cert FILE --key FILE\n"
			"                         --ca FILE --mado-key FILE [--log FILE]",
	    .about = "Answer Mado's access tickets on POST /holder/v1/answers, over mutual TLS.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct tls_files tls;
	struct holder_ctx hc;
	struct mg_callbacks cb;
	struct mg_context *ctx;
	char ports[96], why[512];
	const char *mg_opts[48];
	size_t n = 0;
	int rc, sig, status = MADO_EXIT_FAIL;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (!mado_check_kind(MADO_K_ORG, org))
		return mado_cli_usage_error(&cli, "--org: not an organisation code");
	if (strchr(listen, ':') == NULL)
		return mado_cli_usage_error(&cli, "--listen: HOST:PORT");
	if (log_to(logpath) != 0) {
		fprintf(stderr, "mado-holder: cannot open the log %s\n", logpath);
		return MADO_EXIT_FAIL;
	}
	memset(&hc, 0, sizeof(hc));
	tls = (struct tls_files){cert, key, ca};
	hc.tls = &tls;
	hc.svc.org = org;
	if ((hc.svc.mado_key = load_mado_key(mado_key)) == NULL) {
		fprintf(stderr, "mado-holder: %s is no Ed25519 public key in PEM\n", mado_key);
		return MADO_EXIT_USAGE;
	}
	if (holder_store_open(db, HOLDER_CONNS, &hc.svc.store, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado-holder: %s\n", why);
		goto out;
	}
	if (mado_http_tls_prepare(why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado-holder: %s\n", why);
		goto out;
	}

	snprintf(ports, sizeof(ports), "%ss", listen);
#define OPT(k, v)                                                                                  \
	do {                                                                                       \
		mg_opts[n++] = (k);                                                                \
		mg_opts[n++] = (v);                                                                \
	} while (0)
	OPT("listening_ports", ports);
	OPT("num_threads", HOLDER_THREADS);
	OPT("tcp_nodelay", "1");
	OPT("enable_keep_alive", "yes");
	OPT("keep_alive_timeout_ms", "5000");
	OPT("request_timeout_ms", "10000");
	OPT("max_request_size", "16384");
	OPT("decode_url", "no");
	OPT("enable_directory_listing", "no");
	OPT("cgi_pattern", "");
	OPT("ssi_pattern", "");
	OPT("access_control_allow_origin", "");
	OPT("access_control_allow_methods", "");
	OPT("access_control_allow_headers", "");
	OPT("ssl_protocol_version", "4"); /* TLS 1.2 and 1.3 only */
	OPT("ssl_cipher_list", "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL");
	OPT("ssl_verify_peer", "yes");
	OPT("ssl_ca_file", ca);
	OPT("ssl_default_verify_paths", "no"); /* never the system's CAs for callers */
	OPT("ssl_verify_depth", "4");
	mg_opts[n] = NULL;
#undef OPT

	memset(&cb, 0, sizeof(cb));
	cb.begin_request = begin_request;
	cb.log_message = log_message;
	cb.init_ssl = init_ssl;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if ((ctx = mg_start(&cb, &hc, mg_opts)) == NULL) {
		fprintf(stderr,
			"mado-holder: cannot listen on %s (address in use, or a TLS file "
			"unreadable?)\n",
			listen);
		goto out;
	}
	mado_log_info(NULL, "holder: %s listening on %s", org, listen);
	sigwait(&stop_signals, &sig);
	mado_log_info(NULL, "holder: stopping on signal %d", sig);
	mg_stop(ctx);
	status = MADO_EXIT_OK;
out:
	holder_store_close(hc.svc.store);
	EVP_PKEY_free(hc.svc.mado_key);
	return status;
}

/* A version 4 UUID from the CSPRNG: the internal read's event id at Mado. */
static int
new_uuid(char out[37])
{
	unsigned char b[16];
	char h[33];

	if (mado_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	mado_hex(b, sizeof(b), h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
	return 0;
}

/* --items a,b: distinct codes, 1 to MADO_TICKET_ITEMS_MAX; a JSON array, or NULL. */
static cJSON *
items_array(const char *list)
{
	cJSON *a = cJSON_CreateArray(), *i;
	const char *p = list;
	char item[128];
	size_t n;
	int count = 0;

	while (p != NULL) {
		n = strcspn(p, ",");
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if (n >= sizeof(item) || !mado_check_kind(MADO_K_CODE, item) ||
		    ++count > MADO_TICKET_ITEMS_MAX)
			goto bad;
		for (i = a->child; i != NULL; i = i->next)
			if (strcmp(i->valuestring, item) == 0)
				goto bad;
		cJSON_AddItemToArray(a, cJSON_CreateString(item));
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	return a;
bad:
	cJSON_Delete(a);
	return NULL;
}

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct mado_text *t = arg;

	if (t->len + size * n > REPORT_ANSWER_MAX)
		return 0;
	mado_text_append(t, data, size * n);
	return size * n;
}

/* The access report's one event, as Mado's POST /gw/v1/access-reports takes it. */
static char *
report_body(const char *event_id, const char *person, const cJSON *items, const char *officer,
	    const char *purpose, const char *legal_ref)
{
	cJSON *body = cJSON_CreateObject(), *events, *e;
	char now[32], *text;

	mado_rfc3339_now(now);
	events = cJSON_AddArrayToObject(body, "events");
	e = cJSON_CreateObject();
	cJSON_AddItemToArray(events, e);
	cJSON_AddStringToObject(e, "event_id", event_id);
	cJSON_AddStringToObject(e, "person", person);
	cJSON_AddStringToObject(e, "occurred_at", now);
	cJSON_AddItemToObject(e, "items", cJSON_Duplicate(items, true));
	cJSON_AddStringToObject(e, "purpose", purpose);
	cJSON_AddStringToObject(e, "legal_ref", legal_ref);
	cJSON_AddStringToObject(e, "officer", officer);
	cJSON_AddStringToObject(e, "actor_kind", "human");
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return text;
}

/* Reports the access over mTLS with the agency's certificate: 0 once Mado accepted it. */
static int
report(const char *mado, const char *cert, const char *key, const char *ca, const char *body)
{
	struct curl_slist *h = NULL;
	struct mado_text answer = {0};
	char url[1024], type[128] = "";
	long status = 0;
	CURLcode cc;
	cJSON *json = NULL, *t;
	CURL *c;

	snprintf(url, sizeof(url), "%s/gw/v1/access-reports", mado);
	if ((c = curl_easy_init()) == NULL)
		return -1;
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)REPORT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		fprintf(stderr, "mado-holder read: Mado could not be reached: %s\n",
			curl_easy_strerror(cc));
		mado_text_free(&answer);
		return -1;
	}
	if (answer.buf != NULL &&
	    mado_json_parse(answer.buf, answer.len, &json, type, sizeof(type)) == MADO_OK) {
		type[0] = '\0';
		if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(json, "type")))
			snprintf(type, sizeof(type), "%s", t->valuestring);
		if ((status == 200 || status == 201) &&
		    cJSON_IsNumber(t = cJSON_GetObjectItemCaseSensitive(json, "accepted")) &&
		    t->valuedouble == 1) {
			cJSON_Delete(json);
			mado_text_free(&answer);
			return 0;
		}
	}
	cJSON_Delete(json);
	mado_text_free(&answer);
	fprintf(stderr, "mado-holder read: Mado refused the report: %ld %s\n", status, type);
	return -1;
}

int
holder_read(int argc, char **argv)
{
	const char *org = NULL, *db = NULL, *person = NULL, *items = NULL, *officer = NULL,
		   *purpose = NULL, *legal_ref = NULL, *mado = NULL, *cert = NULL, *key = NULL,
		   *ca = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the holder's organisation code at Mado"),
	    MADO_CLI_REQUIRED("db", "CONNINFO", &db, "the holder's database (libpq conninfo)"),
	    MADO_CLI_REQUIRED("person", "PSEUDONYM", &person,
			      "the holder's pseudonym for the person"),
	    MADO_CLI_REQUIRED("items", "A,B", &items, "the data items to read"),
	    MADO_CLI_REQUIRED("officer", "ID", &officer, "the official who reads"),
	    MADO_CLI_REQUIRED("purpose", "CODE", &purpose, "why (a purpose code at Mado)"),
	    MADO_CLI_REQUIRED("legal-ref", "REF", &legal_ref, "the legal basis"),
	    MADO_CLI_REQUIRED("mado", "URL", &mado, "Mado's gateway (https://HOST:PORT)"),
	    MADO_CLI_REQUIRED("cert", "FILE", &cert, "the agency's client certificate (PEM)"),
	    MADO_CLI_REQUIRED("key", "FILE", &key, "its private key (PEM)"),
	    MADO_CLI_REQUIRED("ca", "FILE", &ca, "CA certificates for Mado's server (PEM)"),
	};
	struct mado_cli cli = {
	    .name = "mado-holder read",
	    .synopsis = "--org CODE --db CONNINFO --person PSEUDONYM --items A,B --officer ID\n"
			"                        --purpose CODE --legal-ref REF --mado URL --cert "
			"FILE --key FILE --ca FILE",
	    .about = "Read a person's values as an official of the holder: the read is kept in "
		     "internal_reads\nand reported to Mado, and the values are printed (JSON) "
		     "once Mado accepted the report.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct holder_store *store = NULL;
	char event_id[37], why[512], *list = NULL, *values = NULL, *body = NULL;
	cJSON *array = NULL, *out;
	int rc, status = MADO_EXIT_FAIL;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (!mado_check_kind(MADO_K_ORG, org))
		return mado_cli_usage_error(&cli, "--org: not an organisation code");
	if (!mado_check_kind(MADO_K_TOKEN, person))
		return mado_cli_usage_error(&cli, "--person: a pseudonym (43 characters)");
	if ((array = items_array(items)) == NULL)
		return mado_cli_usage_error(&cli, "--items: 1 to %d distinct item codes",
					    MADO_TICKET_ITEMS_MAX);
	if (!mado_check_kind(MADO_K_OFFICER, officer) || !mado_check_kind(MADO_K_CODE, purpose) ||
	    strlen(legal_ref) < 1 || strlen(legal_ref) > 200) {
		cJSON_Delete(array);
		return mado_cli_usage_error(&cli,
					    "--officer, --purpose or --legal-ref out of shape");
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		cJSON_Delete(array);
		return MADO_EXIT_FAIL;
	}
	list = cJSON_PrintUnformatted(array);
	if (new_uuid(event_id) != 0 || holder_store_open(db, 1, &store, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado-holder read: %s\n", store == NULL ? why : "no randomness");
		goto out;
	}
	if (holder_store_internal_read(store, event_id, person, list, officer, purpose, legal_ref,
				       &values) != MADO_OK) {
		fprintf(stderr, "mado-holder read: the database did not answer\n");
		goto out;
	}
	/* The official sees the values only once the person's log at Mado has the access. */
	body = report_body(event_id, person, array, officer, purpose, legal_ref);
	if (report(mado, cert, key, ca, body) != 0)
		goto out;
	if (holder_store_reported(store, event_id) != MADO_OK)
		fprintf(stderr,
			"mado-holder read: reported, but not marked so in internal_reads\n");
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "holder", org);
	cJSON_AddStringToObject(out, "record", event_id);
	cJSON_AddRawToObject(out, "items", values);
	cJSON_free(list);
	list = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	printf("%s\n", list);
	status = MADO_EXIT_OK;
out:
	curl_global_cleanup();
	cJSON_free(body);
	cJSON_free(list);
	cJSON_Delete(array);
	free(values);
	holder_store_close(store);
	return status;
}

static const char about[] = "Commands:\n"
			    "  serve   answer Mado's access tickets with sealed values (mTLS)\n"
			    "  read    an internal read by an official, reported to Mado\n"
			    "COMMAND --help tells more.";

int
main(int argc, char **argv)
{
	struct mado_cli top = {
	    .name = "mado-holder",
	    .synopsis = "serve|read [options]",
	    .about = about,
	    .opts = NULL,
	    .nopts = 0,
	    .subcommands = true,
	};
	int rc;

	mado_mem_init();
	if ((rc = mado_cli_parse(&top, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (top.nargs == 0)
		return mado_cli_usage_error(&top, "which command?");
	argc -= top.next;
	argv += top.next;
	if (strcmp(argv[0], "serve") == 0)
		return holder_serve(argc, argv);
	if (strcmp(argv[0], "read") == 0)
		return holder_read(argc, argv);
	return mado_cli_usage_error(&top, "unknown command %s", argv[0]);
}
