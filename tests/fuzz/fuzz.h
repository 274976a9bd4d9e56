/*
 * What the fuzz harnesses share. Each tests/fuzz/fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); built with clang's
 * -fsanitize=fuzzer it is a libFuzzer target, built with replay.c it runs the files it is
 * given once each (ctest -L fuzz). A property that does not hold aborts, as a crash does.
 */
#ifndef MADO_FUZZ_H
#define MADO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property that must hold for every input: otherwise say which and abort, so that
   libFuzzer keeps the input as a crash. */
#define FUZZ_ASSERT(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The input as a NUL-terminated string (a fresh allocation of exactly size + 1 bytes, so
   that reading past its end is caught); the caller frees it. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A file whose content is set by fuzz_file_set, for the parsers that read files (the
   configuration, a CRL): its path, made once (an anonymous in-memory file). */
const char *fuzz_file_path(void);
void fuzz_file_set(const uint8_t *data, size_t size);

/* A path under the source tree (MADO_SOURCE_DIR). */
void fuzz_source_path(char *out, size_t len, const char *rel);

/* Seconds since the epoch of a UTC "YYYY-MM-DDTHH:MM:SSZ" (a fixed clock for the checks
   that depend on it); aborts if it does not parse. */
time_t fuzz_time(const char *rfc3339);

#endif
