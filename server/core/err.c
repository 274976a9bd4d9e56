/* The error catalogue: status, problem type and title for each enum mado_err. */
#include "mado/err.h"

struct err_entry {
	int status;
	const char *slug;
	const char *title;
};

static const struct err_entry errs[] = {
#define MADO_ERR_ENTRY(name, status, slug, title) {status, slug, title},
    MADO_ERRORS(MADO_ERR_ENTRY)
#undef MADO_ERR_ENTRY
};

static const struct err_entry *
lookup(int err)
{
	if (err < 0 || err >= MADO_E__COUNT)
		return &errs[MADO_E_INTERNAL];
	return &errs[err];
}

int
mado_err_status(int err)
{
	return lookup(err)->status;
}

const char *
mado_err_slug(int err)
{
	return lookup(err)->slug;
}

const char *
mado_err_title(int err)
{
	return lookup(err)->title;
}
