/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 3339 formatting without the C library's time_t range limits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void timefmt_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int timefmt_rfc3339(int64_t t, char out[TIMEFMT_RFC3339_LEN])
{
	int64_t days = t / 86400;
	int64_t secs = t % 86400;
	int64_t y;
	unsigned m, d;
	char text[64];
	int n;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	timefmt_civil(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		return -EOVERFLOW;
	}
	/* The compiler cannot bound m and d; a roomy buffer keeps it quiet. */
	n = snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d,
		     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	if (n != TIMEFMT_RFC3339_LEN - 1) {
		return -EOVERFLOW;
	}
	memcpy(out, text, TIMEFMT_RFC3339_LEN);
	return 0;
}
