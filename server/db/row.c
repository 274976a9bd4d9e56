/* Reading result rows: values (NULL for SQL NULL) and JSON members made from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"

const char *
mado_db_val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

void
mado_db_copy(char *dst, size_t len, const PGresult *r, int row, int col)
{
	const char *v = mado_db_val(r, row, col);

	snprintf(dst, len, "%s", v != NULL ? v : "");
}

void
mado_db_json_str(struct cJSON *o, const char *name, const PGresult *r, int row, int col)
{
	const char *v = mado_db_val(r, row, col);

	if (v == NULL)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, v);
}

void
mado_db_json_raw(struct cJSON *o, const char *name, const PGresult *r, int row, int col,
		 bool empty_array)
{
	const char *v = mado_db_val(r, row, col);
	cJSON *j = v != NULL ? cJSON_Parse(v) : NULL;

	if (j == NULL)
		j = empty_array ? cJSON_CreateArray() : cJSON_CreateNull();
	cJSON_AddItemToObject(o, name, j);
}

void
mado_db_json_num(struct cJSON *o, const char *name, const PGresult *r, int row, int col)
{
	cJSON_AddNumberToObject(o, name, atof(PQgetvalue(r, row, col)));
}

void
mado_db_json_bool(struct cJSON *o, const char *name, const PGresult *r, int row, int col)
{
	cJSON_AddBoolToObject(o, name, strcmp(PQgetvalue(r, row, col), "t") == 0);
}

cJSON *
mado_db_json_object(const PGresult *r, int first, int name_col, int value_col)
{
	cJSON *o = cJSON_CreateObject(), *v;
	int i;

	for (i = first; o != NULL && i < PQntuples(r); i++) {
		if ((v = cJSON_Parse(PQgetvalue(r, i, value_col))) == NULL)
			v = cJSON_CreateNull();
		cJSON_AddItemToObject(o, PQgetvalue(r, i, name_col), v);
	}
	return o;
}
