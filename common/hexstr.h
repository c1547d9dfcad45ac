/* SPDX-License-Identifier: BSD-3-Clause */
/* Lower-case hexadecimal encoding, as TLSA and DS data are written. */
#ifndef XDANE_COMMON_HEXSTR_H
#define XDANE_COMMON_HEXSTR_H

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd NUL-terminated string of 2*len hex digits, or NULL. */
char *hexstr_encode(const uint8_t *data, size_t len);

#endif
