/* Small things every module uses. */
#ifndef MADO_COMMON_H
#define MADO_COMMON_H

#include <stddef.h>

#define MADO_NELEM(a)         (sizeof(a) / sizeof((a)[0]))
#define MADO_MUSTCHECK        __attribute__((warn_unused_result))
#define MADO_PRINTF(fmt, arg) __attribute__((format(printf, fmt, arg)))
#define MADO_UNUSED           __attribute__((unused))

#endif
