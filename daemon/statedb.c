/* SPDX-License-Identifier: BSD-3-Clause */
/* statedb: being written (see statedb.h). */
#include "daemon/statedb.h"
