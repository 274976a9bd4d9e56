/*
 * The fuzz targets without libFuzzer: runs each file named (or each file in each directory
 * named, in name order) through LLVMFuzzerTestOneInput once. ctest replays the corpora with
 * it in the sanitizer build, so every seed and every input a fuzzer once crashed on stays
 * a test wherever clang is not installed.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Built alone, a harness may have no initialiser. */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static int
run_file(const char *path)
{
	unsigned char *buf;
	struct stat st;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* Exactly the file's size, so that a read past the input's end is caught. */
	if ((buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL)
		abort();
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: short read of %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	char path[4096], **names;
	struct dirent *de;
	struct stat st;
	size_t n, cap, j;
	int i, runs = 0, bad = 0;
	DIR *d;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file or directory %s\n", argv[i]);
			bad++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i]) != 0;
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL) {
			bad++;
			continue;
		}
		names = NULL;
		n = cap = 0;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n == cap) {
				char **grown =
				    realloc(names, (cap = cap * 2 + 64) * sizeof(*names));

				if (grown == NULL)
					abort();
				names = grown;
			}
			if ((names[n++] = strdup(de->d_name)) == NULL)
				abort();
		}
		closedir(d);
		if (n > 0)
			qsort(names, n, sizeof(*names), by_name);
		for (j = 0; j < n; j++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]);
			bad += run_file(path) != 0;
			runs++;
			free(names[j]);
		}
		free(names);
	}
	printf("replay: %d input(s) run, %d unreadable\n", runs, bad);
	return bad == 0 && runs > 0 ? 0 : 1;
}
