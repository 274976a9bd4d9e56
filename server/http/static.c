/*
 * The static front end. web/ is read into memory once at start: only files that existed
 * then can be served, so no request path ever reaches the file system (no traversal, no
 * listing, no CGI). Each file gets a strong ETag; browsers revalidate and get 304.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/util.h"
#include "http_int.h"

#define STATIC_MAX_FILE  (8 << 20)
#define STATIC_MAX_TOTAL (64 << 20)
#define STATIC_MAX_DEPTH 8

static struct {
	struct http_static_file *v;
	size_t n;
	size_t total;
} files;

static const struct {
	const char *ext;
	const char *type;
} types[] = {
    {".html", "text/html"},
    {".js", "text/javascript"},
    {".mjs", "text/javascript"},
    {".css", "text/css"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain"},
    {".woff2", "font/woff2"},
};

static const char *
type_for(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot != NULL)
		for (i = 0; i < MADO_NELEM(types); i++)
			if (strcmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

static int
add_file(const char *fspath, const char *urlpath)
{
	struct http_static_file *nv, *f;
	char sum[65];
	int rc;

	nv = mado_xrealloc(files.v, (files.n + 1) * sizeof(*nv));
	files.v = nv;
	f = &files.v[files.n];
	memset(f, 0, sizeof(*f));
	if ((rc = mado_read_file(fspath, STATIC_MAX_FILE, &f->data, &f->len)) != MADO_OK)
		return rc;
	f->path = mado_xstrdup(urlpath);
	files.total += f->len;
	f->type = type_for(urlpath);
	mado_sha256_hex(f->data, f->len, sum);
	snprintf(f->etag, sizeof(f->etag), "\"%.20s\"", sum);
	files.n++;
	return files.total > STATIC_MAX_TOTAL ? MADO_E_BODY_TOO_LARGE : MADO_OK;
}

static int
walk(const char *dir, const char *prefix, int depth)
{
	char fspath[4096], urlpath[1024];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = MADO_OK;

	if (depth > STATIC_MAX_DEPTH || (d = opendir(dir)) == NULL)
		return MADO_E_NOT_FOUND;
	while (rc == MADO_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files are never served */
		if ((size_t)snprintf(fspath, sizeof(fspath), "%s/%s", dir, de->d_name) >=
			sizeof(fspath) ||
		    (size_t)snprintf(urlpath, sizeof(urlpath), "%s/%s", prefix, de->d_name) >=
			sizeof(urlpath))
			continue;
		if (lstat(fspath, &st) == -1)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = walk(fspath, urlpath, depth + 1);
		else if (S_ISREG(st.st_mode))
			rc = add_file(fspath, urlpath);
	}
	closedir(d);
	return rc;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct http_static_file *)a)->path,
		      ((const struct http_static_file *)b)->path);
}

int
http__static_load(const char *root)
{
	int rc;

	if ((rc = walk(root, "", 0)) != MADO_OK) {
		http__static_free();
		return rc;
	}
	qsort(files.v, files.n, sizeof(*files.v), cmp_path);
	mado_log_info(NULL, "static: %zu files, %zu bytes from %s", files.n, files.total, root);
	return MADO_OK;
}

void
http__static_free(void)
{
	size_t i;

	for (i = 0; i < files.n; i++) {
		free(files.v[i].path);
		free(files.v[i].data);
	}
	free(files.v);
	memset(&files, 0, sizeof(files));
}

static const struct http_static_file *
lookup(const char *path)
{
	struct http_static_file key = {.path = (char *)(uintptr_t)path};

	if (files.n == 0)
		return NULL;
	return bsearch(&key, files.v, files.n, sizeof(*files.v), cmp_path);
}

const struct http_static_file *
http__static_find(const char *path)
{
	char index[1024];
	size_t len = strlen(path);

	/* A directory path serves its index.html. */
	if (len > 0 && path[len - 1] == '/') {
		if (len + sizeof("index.html") > sizeof(index))
			return NULL;
		snprintf(index, sizeof(index), "%sindex.html", path);
		return lookup(index);
	}
	return lookup(path);
}

int
http__static_serve(struct mado_req *rq, const struct http_static_file *f)
{
	const char *inm = mado_http_req_header(rq, "If-None-Match");

	rq->cache = MADO_CACHE_REVALIDATE;
	mado_http_header(rq, "ETag", f->etag);
	if (inm != NULL && strstr(inm, f->etag) != NULL) {
		rq->status = 304;
		return MADO_OK;
	}
	return mado_http_text(rq, 200, f->type, f->data, f->len);
}
