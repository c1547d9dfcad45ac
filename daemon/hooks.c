/* SPDX-License-Identifier: BSD-3-Clause */
/* hooks: being written (see hooks.h). */
#include "daemon/hooks.h"
