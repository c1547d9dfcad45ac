/* SPDX-License-Identifier: BSD-3-Clause */
/* Messages for failure codes. */
#include <string.h>

#include "common/err.h"

static const char *const err_messages[ERR_COUNT] = {
#define ERR_MSG_(name, msg) [name##_INDEX] = msg,
	ERR_TABLE(ERR_MSG_)
#undef ERR_MSG_
};

const char *err_str(int code)
{
	if (code <= -ERR_BASE && code > -(ERR_BASE + ERR_COUNT)) {
		return err_messages[-code - ERR_BASE];
	}
	if (code < 0 && code > -ERR_BASE) {
		return strerror(-code);
	}
	return "unknown error";
}
