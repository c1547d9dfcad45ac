/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 3339 timestamps in UTC, the one time format of reports and JSON. */
#ifndef XDANE_COMMON_TIMEFMT_H
#define XDANE_COMMON_TIMEFMT_H

#include <stdint.h>

/* "2026-11-22T00:28:44Z" plus NUL. */
#define TIMEFMT_RFC3339_LEN 21

/*
 * Writes t (seconds since the epoch, may be negative or far future) into out.
 * Returns 0, or -EOVERFLOW when the year does not have four digits.
 */
int timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN]);

#endif
