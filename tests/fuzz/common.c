/* The helpers of fuzz.h. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "mado/util.h"

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static int file_fd = -1;
static char file_path[64];

const char *
fuzz_file_path(void)
{
	if (file_fd == -1) {
		if ((file_fd = memfd_create("mado-fuzz", MFD_CLOEXEC)) == -1) {
			perror("memfd_create");
			abort();
		}
		snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d", file_fd);
	}
	return file_path;
}

void
fuzz_file_set(const uint8_t *data, size_t size)
{
	(void)fuzz_file_path();
	if (ftruncate(file_fd, 0) != 0 ||
	    (size > 0 && pwrite(file_fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz file");
		abort();
	}
}

void
fuzz_source_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", MADO_SOURCE_DIR, rel);
}

time_t
fuzz_time(const char *rfc3339)
{
	time_t t;

	if (!mado_parse_rfc3339(rfc3339, &t))
		abort();
	return t;
}
