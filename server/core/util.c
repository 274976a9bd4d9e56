/* Memory, randomness, encodings, time, hashing and strict parsing shared by every module. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cjson/cJSON.h>

#include "mado/err.h"
#include "mado/util.h"

static void
out_of_memory(size_t n)
{
	static const char msg[] = "{\"level\":\"error\",\"msg\":\"out of memory: stopping\"}\n";

	(void)n;
	/* No allocation, no stdio: just say so and stop. */
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	abort();
}

void *
mado_xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
mado_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);

	if (p == NULL)
		out_of_memory(n * size);
	return p;
}

void *
mado_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n > 0 ? n : 1);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

char *
mado_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(mado_xmalloc(n), s, n);
}

void
mado_mem_init(void)
{
	cJSON_Hooks hooks = {mado_xmalloc, free};

	cJSON_InitHooks(&hooks);
}

/* The calling thread's own DRBG, not RAND_bytes: in OpenSSL 3.0, RAND_bytes takes a
   process-wide write lock on every call (looking for a legacy RAND method), and under
   load a third of the HTTP workers' time went to waiting on it for request ids. */
int
mado_random(void *buf, size_t len)
{
	static __thread EVP_RAND_CTX *drbg;

	if (drbg == NULL && (drbg = RAND_get0_public(NULL)) == NULL)
		return -1;
	if (len > 0 && EVP_RAND_generate(drbg, buf, len, 0, 0, NULL, 0) != 1)
		return -1;
	return 0;
}

size_t
mado_utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t
mado_text_shown(char *dst, size_t cap, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t n = 0, len = strlen(src), i = 0, k;

	if (cap == 0)
		return 0;
	while (i < len) {
		k = mado_utf8_seq(p + i, len - i);
		if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			/* Not UTF-8, or a control character (C0, DEL, C1). */
			if (n + 1 >= cap)
				break;
			dst[n++] = '?';
			i += k > 0 ? k : 1;
			continue;
		}
		if (n + k >= cap)
			break;
		memcpy(dst + n, p + i, k);
		n += k;
		i += k;
	}
	dst[n] = '\0';
	return n;
}

size_t
mado_udec(char out[24], unsigned long long v, int min)
{
	char d[24];
	size_t n = 0;

	do {
		d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while ((v > 0 || (int)n < min) && n < sizeof(d) - 1);
	memcpy(out, d + sizeof(d) - n, n);
	out[n] = '\0';
	return n;
}

void
mado_hex(const void *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

size_t
mado_b64url(const void *data, size_t len, char *out)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
	}
	out[o] = '\0';
	return o;
}

size_t
mado_b64(const void *data, size_t len, char *out)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = i + 1 < len ? alpha[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? alpha[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
mado_b64_decode(const char *s, size_t len, size_t *outlen)
{
	unsigned char *out;
	size_t i, o = 0, pad = 0;
	uint32_t v = 0;
	int d, n = 0;

	*outlen = 0;
	/* Padding, if any, must make the length a multiple of four. */
	while (pad < 2 && len > 0 && s[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((pad > 0 && (len + pad) % 4 != 0) || len % 4 == 1)
		return NULL;
	out = mado_xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if ((d = b64_value((unsigned char)s[i])) < 0) {
			free(out);
			return NULL;
		}
		v = v << 6 | (uint32_t)d;
		if (++n == 4) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
			n = 0;
		}
	}
	/* The unused low bits of the last group must be zero (one encoding per value). */
	if (n == 2) {
		if (v & 0x0f)
			goto bad;
		out[o++] = (unsigned char)(v >> 4);
	} else if (n == 3) {
		if (v & 0x03)
			goto bad;
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
	}
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

void
mado_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		memset(md, 0, sizeof(md)); /* only on an OpenSSL failure; never matches a file */
	mado_hex(md, sizeof(md), out);
}

void
mado_secret_hash(const char *secret, char out[MADO_HASH_PARAM_LEN])
{
	out[0] = '\\';
	out[1] = 'x';
	mado_sha256_hex(secret, strlen(secret), out + 2);
}

int64_t
mado_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
mado_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* Every log line starts with this: the date and the second are formatted once a second
   per thread, the milliseconds by hand. */
void
mado_rfc3339_now(char out[32])
{
	static __thread time_t sec = -1;
	static __thread char head[24]; /* "YYYY-MM-DDTHH:MM:SS." */
	static __thread size_t head_len;
	struct timespec ts;
	struct tm tm;
	int ms, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != sec) {
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec);
		head_len = n > 0 && (size_t)n < sizeof(head) ? (size_t)n : 0;
		sec = ts.tv_sec;
	}
	ms = (int)(ts.tv_nsec / 1000000);
	memcpy(out, head, head_len);
	out[head_len] = (char)('0' + ms / 100);
	out[head_len + 1] = (char)('0' + ms / 10 % 10);
	out[head_len + 2] = (char)('0' + ms % 10);
	out[head_len + 3] = 'Z';
	out[head_len + 4] = '\0';
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
mado_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);

	if (month < 1 || month > 12)
		return 0;
	return days[month - 1] + (month == 2 && leap);
}

/* n decimal digits at s, or -1 if any of them is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* YYYY-MM-DD at s: the fields, checked to name a real day. */
static bool
date_fields(const char *s, int *y, int *m, int *d)
{
	*y = digits(s, 4);
	*m = digits(s + 5, 2);
	*d = digits(s + 8, 2);
	return *y >= 1 && s[4] == '-' && s[7] == '-' && *m >= 1 && *d >= 1 &&
	       *d <= mado_days_in_month(*y, *m);
}

bool
mado_parse_date(const char *s, time_t *out)
{
	int y, m, d;

	if (strlen(s) != 10 || !date_fields(s, &y, &m, &d))
		return false;
	*out = (time_t)(days_from_civil(y, m, d) * 86400);
	return true;
}

bool
mado_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (strlen(s) < 20 || !date_fields(s, &y, &mo, &d) || (s[10] != 'T' && s[10] != 't'))
		return false;
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	/* A leap second (:60) is RFC 3339, and PostgreSQL takes it as the next minute. */
	if (h < 0 || h > 23 || s[13] != ':' || mi < 0 || mi > 59 || s[16] != ':' || sec < 0 ||
	    sec > 60)
		return false;
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6) {
		/* Exactly "+HH:MM": the fields are read only when all six characters exist. */
		sign = *p == '+' ? 1 : -1;
		oh = digits(p + 1, 2);
		om = digits(p + 4, 2);
		if (oh < 0 || oh > 23 || p[3] != ':' || om < 0 || om > 59)
			return false;
		p += 6;
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	*out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	       sign * (oh * 3600 + om * 60);
	return true;
}

bool
mado_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool
mado_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return false;
	/* strtoll accepts leading blanks and '+'; a config or header value must not. */
	if (!(*s == '-' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int
mado_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return MADO_E_NOT_FOUND;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return MADO_E_BAD_REQUEST;
	}
	buf = mado_xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		return MADO_E_INTERNAL;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return MADO_OK;
}

char *
mado_text_reserve(struct mado_text *t, size_t need)
{
	size_t cap;

	if (t->buf == NULL || t->cap - t->len <= need) {
		cap = t->len + need + 1;
		cap = cap < 4096 ? 4096 : cap * 2;
		t->buf = mado_xrealloc(t->buf, cap);
		t->cap = cap;
	}
	return t->buf + t->len;
}

void
mado_text_printf(struct mado_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	mado_text_reserve(t, 0);
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return; /* an encoding error: nothing is added */
	if ((size_t)n >= t->cap - t->len) {
		/* Did not fit: grow and format again. */
		mado_text_reserve(t, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
	}
	t->len += (size_t)n;
}

void
mado_text_append(struct mado_text *t, const void *data, size_t len)
{
	memcpy(mado_text_reserve(t, len), data, len);
	t->len += len;
	t->buf[t->len] = '\0';
}

void
mado_text_puts(struct mado_text *t, const char *s)
{
	mado_text_append(t, s, strlen(s));
}

void
mado_text_free(struct mado_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

void
mado_csv_cell(struct mado_text *t, const char *s, size_t n, bool last)
{
	size_t i;

	mado_text_append(t, "\"", 1);
	if (n > 0 && strchr("=+-@", s[0]) != NULL)
		mado_text_append(t, "'", 1);
	for (i = 0; i < n; i++) {
		mado_text_append(t, s + i, 1);
		if (s[i] == '"')
			mado_text_append(t, "\"", 1);
	}
	mado_text_append(t, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

bool
mado_one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

EVP_PKEY *
mado_ed25519_load(const char *setting, const char *path, char *why, size_t whylen)
{
	EVP_PKEY *key;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "%s: cannot open %s", setting, path);
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		snprintf(why, whylen, "%s: %s is not an Ed25519 private key", setting, path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}
