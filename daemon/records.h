/* SPDX-License-Identifier: BSD-3-Clause */
/* The record tools: `xdane cert`, `xdane tlsa`, `xdane ds`. */
#ifndef XDANE_DAEMON_RECORDS_H
#define XDANE_DAEMON_RECORDS_H

/* Each takes its own argv (argv[0] is the command name) and returns an exit code. */
int records_cert_main(int argc, char **argv);
int records_tlsa_main(int argc, char **argv);
int records_ds_main(int argc, char **argv);

#endif
