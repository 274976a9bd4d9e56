/*
 * Configuration from one option table (server/core/config.c): defaults, then a file of
 * "key = value" lines, then MADO_<KEY> environment variables. Every value is validated at
 * start and an error names the key. Secret values are never printed.
 */
#ifndef MADO_CONFIG_H
#define MADO_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "mado/common.h"

/* Card policies refused unless configured otherwise: Estonian Mobile-ID, whose keys do not
   live on a card (the Web eID reference default). */
#define MADO_PKI_DEFAULT_DISALLOWED                                                                \
	"1.3.6.1.4.1.10015.1.3,1.3.6.1.4.1.10015.1.3.1,1.3.6.1.4.1.10015.1.3.2,"                   \
	"1.3.6.1.4.1.10015.1.3.3"

struct mado_config {
	char *listen;             /* host:port */
	bool tls;                 /* HTTPS; off only on a loopback address */
	char *tls_cert;           /* PEM with the server key and certificate chain */
	char *public_origin;      /* https://host[:port] as browsers see it */
	char *web_root;           /* static front end */
	char *migrations_dir;     /* sql/migrations */
	char *db_url;             /* libpq conninfo of the application role */
	char *db_migrate_url;     /* conninfo of the schema owner, for mado migrate */
	char *db_read_url;        /* conninfo of a replica for stale-tolerant reads; "": none */
	int db_pool_size;         /* connections */
	int db_wait_ms;           /* longest wait for a free connection */
	int db_connect_timeout;   /* seconds */
	int clock_skew_max_ms;    /* /readyz: the most this clock may differ from the database's */
	int threads;              /* CivetWeb worker threads = concurrent connections */
	int request_timeout_ms;   /* whole request head and each body read */
	int keep_alive_ms;        /* idle time between requests on a connection */
	int max_conns_per_client; /* per address (IPv6: /64), both listeners; 0: off */
	int body_max;             /* default cap on request bodies, bytes */
	int export_max_entries;   /* the most access-log entries one export holds */
	int hsts_max_age;         /* seconds */
	char *metrics_from;       /* client addresses allowed to read /metrics, or * */
	char *staff_from;         /* addresses or CIDR blocks desk staff may come from, or * */
	char *trusted_proxies;    /* proxies whose X-Forwarded-For names the client */
	char *log_level;          /* error, warn, info, debug */
	bool log_requests;        /* one line per request */

	/* Card login. */
	char *mtls_listen;      /* second listener that asks for client certificates */
	char *tls_login_origin; /* that listener's origin as browsers see it; "": derived */
	char *card_trust_dir;   /* CA certificates of card issuers; empty: no card login */
	char *card_policies_disallowed;
	char *card_policies_required;
	char *card_revocation; /* ocsp, crl or off */
	char *card_ocsp_url;
	char *card_ocsp_responder;
	bool card_ocsp_nonce;
	int card_ocsp_timeout_ms;
	int card_ocsp_cache_max_s;
	int card_ocsp_fail_cache_s; /* a responder that failed is not asked again for this long */
	int card_ocsp_max_age_s;
	int card_clock_skew_s;
	char *card_crl;
	int card_crl_refresh_s;
	int card_recheck_s; /* how often a session re-checks its card's revocation */
	int card_fresh_s;   /* how long a card's signature counts for the acts that need it */
	int session_idle_s;
	int session_idle_shared_s;
	int session_max_s;
	int staff_session_max_s; /* a desk staff member's session */
	int visit_max_s;         /* a desk visit's session */
	int proxy_max_people;    /* a proxy acting for more people is reported to the supervisor */
	int mandate_remind_s;    /* how often the mandates' reminders are sent */
	/* Oversight: the anomaly scan's schedule and thresholds, disputes' due time, and the
	   smallest count public statistics show. */
	int oversight_scan_s;
	int oversight_lag_s;
	int anomaly_people_hour;
	int anomaly_night_reads;
	int anomaly_night_from;
	int anomaly_night_to;
	int anomaly_spike_factor;
	int anomaly_spike_min;
	int anomaly_org_spike_min;
	int anomaly_refusal_pct;
	int anomaly_refusal_min;
	int anomaly_proxy_people;
	int anomaly_new_case_refs;
	int dispute_due_days;
	int public_stats_min;
	int seal_grace_s; /* an unconfirmed seal opens this long after it was recorded */
	int login_fail_max_addr;
	int login_fail_max_card;
	int login_fail_window_s;
	int public_rate_max;  /* a minute, per client, to each rate-limited route */
	char *demo_cards_dir; /* virtual cards the demo login may use; empty: none */

	/* The agency gateway. */
	char *org_trust_dir;  /* organisation CA certificates; empty: no gateway */
	char *org_revocation; /* ocsp, crl or off */
	char *operator_cert;  /* names the proposer of register changes; empty: --as */

	char *consent_receipt_key; /* Ed25519 PEM signing consent receipts; empty: none */

	/* The transparency log. */
	char *tlog_key;          /* Ed25519 PEM signing checkpoints; empty: no sequencing */
	char *tlog_origin;       /* the checkpoints' origin line; empty: from public_origin */
	int tlog_batch_ms;       /* a batch at least this often */
	int tlog_batch_max;      /* the most leaves in one batch */
	char *tlog_witness;      /* "<vkey> <command>" entries separated by ';' */
	int tlog_witness_needed; /* cosignatures a checkpoint needs to be published */
	char *tlog_export_dir;   /* published checkpoints are written here; empty: none */

	/* The relay to the data holders. */
	char *ticket_key;     /* Ed25519 PEM signing access tickets; empty: no holder asked */
	int ticket_ttl_s;     /* a ticket's life */
	char *relay_cert;     /* the client certificate Mado shows holders (PEM) */
	char *relay_key;      /* its private key */
	char *relay_ca;       /* CA file holders' server certificates chain to */
	int relay_timeout_ms; /* how long a holder may take to answer */
};

/* What the configuration is loaded for. Serving checks every setting; a command that does
   not serve skips the checks of what only the server opens (tls_cert readable, web_root
   and demo_cards_dir directories), so that it runs where those do not exist. */
enum mado_config_use {
	MADO_CONFIG_SERVE,   /* mado serve, and serve --check-config */
	MADO_CONFIG_COMMAND, /* migrate, register-card, org-cert, rp-register */
};

/* Loads defaults, then path (may be NULL), then the environment, and validates it all for
   use. On failure writes one line naming the key to err and returns -1. */
MADO_MUSTCHECK int mado_config_load(struct mado_config *cfg, const char *path,
				    enum mado_config_use use, char *err, size_t errlen);
void mado_config_free(struct mado_config *cfg);

/* Prints the effective configuration, secrets masked. */
void mado_config_print(const struct mado_config *cfg, FILE *out);
/* Prints the option table as the README's Markdown reference. */
void mado_config_reference(FILE *out);

/* The conninfo for migrations: db_migrate_url, or db_url when that is empty. */
const char *mado_config_migrate_url(const struct mado_config *cfg);

#endif
