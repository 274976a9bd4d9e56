/*
 * mado-witness: a witness of Mado's transparency log (C2SP tlog-cosignature). It keeps its
 * own Ed25519 key and its own state directory, and cosigns a checkpoint only when the
 * checkpoint is signed by the log and extends the last one it cosigned, so that the log
 * cannot show two different histories to two people without one witness noticing. Like
 * mado-verify it links the transparency log's library, OpenSSL and cJSON only.
 *
 *   mado-witness keygen --key KEYFILE --name NAME
 *   mado-witness vkey --key KEYFILE --name NAME
 *   mado-witness cosign --key KEYFILE --name NAME --state DIR --log-key VKEY
 *                --checkpoint FILE [--proof FILE]
 *
 * docs/tlog.md describes the formats and the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mado/tlog.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2
#define FILE_MAX   (1u << 20)

static const char usage_text[] =
    "usage: mado-witness keygen --key KEYFILE --name NAME\n"
    "       mado-witness vkey --key KEYFILE --name NAME\n"
    "       mado-witness cosign --key KEYFILE --name NAME --state DIR --log-key VKEY\n"
    "                    --checkpoint FILE [--proof FILE]\n"
    "Witness Mado's transparency log (docs/tlog.md):\n"
    "  keygen  write a new Ed25519 key to KEYFILE (0600) and print the witness's vkey\n"
    "  vkey    print the vkey of the key in KEYFILE\n"
    "  cosign  check the signed checkpoint in FILE (- for stdin) against the log's key and,\n"
    "          with the consistency proof in --proof, against the last checkpoint cosigned\n"
    "          (kept in DIR); print the note with this witness's cosignature and keep the\n"
    "          checkpoint as the latest, or refuse (exit 1, DIR unchanged)\n"
    "\n"
    "options:\n"
    "  --key KEYFILE       the witness's Ed25519 private key (PEM)\n"
    "  --name NAME         the witness's key name\n"
    "  --state DIR         the witness's own storage (created 0700 if missing)\n"
    "  --log-key VKEY      the log's verifier key, NAME+ID+KEY\n"
    "  --checkpoint FILE   the log's signed checkpoint note\n"
    "  --proof FILE        consistency proof from the last cosigned checkpoint\n"
    "  -h, --help          print this help and exit\n";

static int
usage_error(const char *why, const char *what)
{
	fprintf(stderr, "mado-witness: %s%s\n%s", why, what, usage_text);
	return EXIT_USAGE;
}

static int
fail(const char *why)
{
	fprintf(stderr, "mado-witness: %s\n", why);
	return EXIT_FAIL;
}

static int
fail2(const char *what, const char *why)
{
	fprintf(stderr, "mado-witness: %s: %s\n", what, why);
	return EXIT_FAIL;
}

/* All of a stream, NUL-terminated: NULL when unreadable or larger than FILE_MAX. */
static char *
slurp_stream(FILE *f, size_t *lenp)
{
	char *buf = malloc(FILE_MAX + 2);
	size_t len = 0, n;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, FILE_MAX + 1 - len, f)) > 0 && len + n <= FILE_MAX)
		len += n;
	if (n > 0 || ferror(f)) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f;
	char *buf;

	if (strcmp(path, "-") == 0)
		return slurp_stream(stdin, lenp);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = slurp_stream(f, lenp);
	fclose(f);
	return buf;
}

static EVP_PKEY *
read_key(const char *path)
{
	EVP_PKEY *key;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key != NULL && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static int
print_vkey(const char *name, EVP_PKEY *key)
{
	char vkey[512];

	if (mado_tlog_witness_vkey(name, key, vkey, sizeof(vkey)) < 0)
		return fail("the name is not a key name (no spaces, \"+\" or control characters)");
	printf("%s\n", vkey);
	return EXIT_OK;
}

static int
keygen(const char *path, const char *name)
{
	char vkey[512];
	EVP_PKEY *key;
	FILE *f;
	int fd, rc;

	/* The name first: no key file is left behind for a name that cannot be used. */
	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		return fail("cannot make a key");
	if (mado_tlog_witness_vkey(name, key, vkey, sizeof(vkey)) < 0) {
		EVP_PKEY_free(key);
		return fail("the name is not a key name (no spaces, \"+\" or control characters)");
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		EVP_PKEY_free(key);
		return fail(errno == EEXIST ? "the key file exists; not overwritten"
					    : "cannot create the key file");
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		EVP_PKEY_free(key);
		return fail("cannot write the key file");
	}
	rc = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	rc = (fflush(f) == 0 && fsync(fileno(f)) == 0) && rc;
	rc = fclose(f) == 0 && rc;
	EVP_PKEY_free(key);
	if (!rc) {
		unlink(path);
		return fail("cannot write the key file");
	}
	printf("%s\n", vkey);
	return EXIT_OK;
}

/* Writes text to DIR/checkpoint atomically (a temporary file, fsync, rename, fsync). */
static int
store(const char *dir, const char *text)
{
	char tmp[4096], final[4096];
	size_t len = strlen(text);
	int fd, dfd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/checkpoint.tmp", dir) >= sizeof(tmp) ||
	    (size_t)snprintf(final, sizeof(final), "%s/checkpoint", dir) >= sizeof(final))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, final) != 0) {
		unlink(tmp);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

struct cosign_args {
	const char *key, *name, *state, *log_key, *checkpoint, *proof;
};

/* Whether the new checkpoint extends the old one: NULL, or why not. */
static const char *
extends(const struct mado_tlog_checkpoint *old, const struct mado_tlog_checkpoint *new,
	const char *proof_file)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32], empty[32];
	const char *why;
	size_t len, n = 0;
	char *text;

	if (new->size < old->size)
		return "the checkpoint is smaller than the last one cosigned";
	if (new->size == old->size)
		return memcmp(new->root, old->root, 32) == 0
			   ? NULL
			   : "the checkpoint has the size of the last one cosigned and another "
			     "root";
	if (old->size == 0) {
		/* The empty tree is a prefix of every tree. */
		EVP_Digest("", 0, empty, NULL, EVP_sha256(), NULL);
		return memcmp(old->root, empty, 32) == 0 ? NULL
							 : "the last checkpoint cosigned is "
							   "empty with a root that is not";
	}
	if (proof_file == NULL)
		return "a consistency proof (--proof) is needed";
	if ((text = slurp(proof_file, &len)) == NULL)
		return "cannot read the proof file";
	why = mado_tlog_hashes_parse(text, len, path, &n);
	free(text);
	if (why != NULL)
		return why;
	if (!mado_tlog_verify_consistency(old->size, new->size, old->root, new->root,
					  (const unsigned char(*)[32])path, n))
		return "the checkpoint is not consistent with the last one cosigned";
	return NULL;
}

static int
cosign(const struct cosign_args *a)
{
	struct mado_tlog_checkpoint old, new;
	char lockpath[4096], oldpath[4096], *note = NULL, *prev = NULL, *out = NULL;
	const char *why;
	EVP_PKEY *key = NULL;
	size_t len, plen;
	int lock = -1, rc = EXIT_FAIL;
	bool have_old;

	if ((key = read_key(a->key)) == NULL)
		return fail("cannot read an Ed25519 private key from the key file");
	if (mkdir(a->state, 0700) != 0 && errno != EEXIST) {
		rc = fail("cannot create the state directory");
		goto out;
	}
	if ((size_t)snprintf(lockpath, sizeof(lockpath), "%s/lock", a->state) >= sizeof(lockpath) ||
	    (size_t)snprintf(oldpath, sizeof(oldpath), "%s/checkpoint", a->state) >=
		sizeof(oldpath)) {
		rc = fail("the state directory's path is too long");
		goto out;
	}
	/* One cosigning at a time: two at once could each extend the same old checkpoint. */
	if ((lock = open(lockpath, O_RDWR | O_CREAT, 0600)) < 0 || flock(lock, LOCK_EX) != 0) {
		rc = fail("cannot lock the state directory");
		goto out;
	}
	if ((note = slurp(a->checkpoint, &len)) == NULL) {
		rc = fail("cannot read the checkpoint file");
		goto out;
	}
	if ((why = mado_tlog_note_verify(note, len, a->log_key, NULL, 0, 0, &new)) != NULL) {
		rc = fail2("the checkpoint", why);
		goto out;
	}
	have_old = access(oldpath, F_OK) == 0;
	if (have_old) {
		if ((prev = slurp(oldpath, &plen)) == NULL ||
		    mado_tlog_note_verify(prev, plen, a->log_key, NULL, 0, 0, &old) != NULL) {
			rc = fail("the last checkpoint cosigned cannot be read or is not the "
				  "log's (another log key?)");
			goto out;
		}
		if ((why = extends(&old, &new, a->proof)) != NULL) {
			rc = fail2("refused", why);
			goto out;
		}
	}
	if ((out = mado_tlog_note_cosign(note, a->name, key, (uint64_t)time(NULL))) == NULL) {
		rc = fail("cannot cosign (is the name a key name?)");
		goto out;
	}
	/* Kept before it is shown: a witness never cosigns what it has not recorded. */
	if (store(a->state, note) != 0) {
		rc = fail("cannot store the checkpoint in the state directory");
		goto out;
	}
	if (fputs(out, stdout) == EOF || fflush(stdout) != 0) {
		rc = fail("cannot write the cosigned note");
		goto out;
	}
	rc = EXIT_OK;
out:
	if (lock >= 0)
		close(lock);
	free(note);
	free(prev);
	free(out);
	EVP_PKEY_free(key);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option top[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
					     {"name", required_argument, NULL, 'n'},
					     {"state", required_argument, NULL, 's'},
					     {"log-key", required_argument, NULL, 'l'},
					     {"checkpoint", required_argument, NULL, 'c'},
					     {"proof", required_argument, NULL, 'p'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cosign_args a = {0};
	const char *cmd;
	EVP_PKEY *key;
	int ch, rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", top, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		return usage_error("unknown option ", argv[optind - 1]);
	}
	if (optind >= argc)
		return usage_error("which command?", "");
	cmd = argv[optind];
	if (strcmp(cmd, "keygen") != 0 && strcmp(cmd, "vkey") != 0 && strcmp(cmd, "cosign") != 0)
		return usage_error("unknown command ", cmd);
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'k': a.key = optarg; break;
		case 'n': a.name = optarg; break;
		case 's': a.state = optarg; break;
		case 'l': a.log_key = optarg; break;
		case 'c': a.checkpoint = optarg; break;
		case 'p': a.proof = optarg; break;
		case 1: return usage_error("unexpected argument ", optarg);
		case ':': return usage_error("a value is missing after ", argv[optind - 1]);
		default: return usage_error("unknown option ", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument ", argv[optind]);
	if (a.key == NULL)
		return usage_error("--key is required", "");
	if (a.name == NULL)
		return usage_error("--name is required", "");
	if (strcmp(cmd, "keygen") == 0)
		return keygen(a.key, a.name);
	if (strcmp(cmd, "vkey") == 0) {
		if ((key = read_key(a.key)) == NULL)
			return fail("cannot read an Ed25519 private key from the key file");
		rc = print_vkey(a.name, key);
		EVP_PKEY_free(key);
		return rc;
	}
	if (a.state == NULL)
		return usage_error("--state is required", "");
	if (a.log_key == NULL)
		return usage_error("--log-key is required", "");
	if (a.checkpoint == NULL)
		return usage_error("--checkpoint is required", "");
	return cosign(&a);
}
