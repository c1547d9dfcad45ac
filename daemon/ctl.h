/* SPDX-License-Identifier: BSD-3-Clause */
/* `xdane status`, `xdane trigger` and `xdane reload`: clients of xdaned's control socket. */
#ifndef XDANE_DAEMON_CTL_H
#define XDANE_DAEMON_CTL_H

int ctl_status_main(int argc, char **argv);
int ctl_trigger_main(int argc, char **argv);
int ctl_reload_main(int argc, char **argv);

#endif
