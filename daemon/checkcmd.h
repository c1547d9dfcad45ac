/* SPDX-License-Identifier: BSD-3-Clause */
/* `xdane check`: one-shot checks of domains, for a terminal, cron or a Nagios-style monitor. */
#ifndef XDANE_DAEMON_CHECKCMD_H
#define XDANE_DAEMON_CHECKCMD_H

int checkcmd_main(int argc, char **argv);

#endif
