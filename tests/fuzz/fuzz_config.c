/*
 * The configuration file reader (server/core/config.c): any file content, read as the
 * operator commands read it (no serving checks, so nothing outside the file is opened).
 * No crash, no leak; what loads prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mado/config.h"
#include "mado/log.h"

extern char **environ;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char **e;

	(void)argc;
	(void)argv;
	/* Only the file: no MADO_* variable of the caller's may decide anything. */
	for (e = environ; e != NULL && *e != NULL;) {
		if (strncmp(*e, "MADO_", 5) == 0) {
			char name[256];

			snprintf(name, sizeof(name), "%.*s", (int)strcspn(*e, "="), *e);
			unsetenv(name);
			e = environ;
		} else {
			e++;
		}
	}
	mado_log_set_level(MADO_LOG_ERR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mado_config cfg;
	char err[512];
	FILE *out;

	fuzz_file_set(data, size);
	if (mado_config_load(&cfg, fuzz_file_path(), MADO_CONFIG_COMMAND, err, sizeof(err)) != 0)
		return 0;
	if ((out = fopen("/dev/null", "w")) != NULL) {
		mado_config_print(&cfg, out);
		fclose(out);
	}
	mado_config_free(&cfg);
	return 0;
}
