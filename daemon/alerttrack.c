/* SPDX-License-Identifier: BSD-3-Clause */
/* alerttrack: being written (see alerttrack.h). */
#include "daemon/alerttrack.h"
