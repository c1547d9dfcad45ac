/* SPDX-License-Identifier: BSD-3-Clause */
/* render: being written (see render.h). */
#include "daemon/render.h"
