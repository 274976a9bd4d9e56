/*
 * My information: what the holding organisations keep about the person, read through the
 * same recorded gate as an agency's query (channel self) and relayed from the holders
 * sealed to the person's reply key, and the person's correction requests and "not mine"
 * on an item (disputes about the item).
 */
#ifndef MADO_MYDATA_H
#define MADO_MYDATA_H

#include "mado/http.h"

extern const struct mado_route_set mado_mydata_routes;

#endif
