/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishers: make an authoritative server serve a fragment's TLSA records.
 * `file` writes the fragment for $INCLUDE, increases the zone file's serial
 * and runs the reload command; `update` sends one RFC 2136 UPDATE with TSIG.
 * Both block for a bounded time (run them off the event loop) and are
 * idempotent: publishing the same fragment twice gives the same zone. Which
 * records to publish, and when, is the rollover engine's decision.
 */
#ifndef XDANE_ZONEGEN_PUBLISH_H
#define XDANE_ZONEGEN_PUBLISH_H

struct fragment;
struct tsigkey;

/* Output of the reload command kept for the error message (its last bytes): common/command's. */
#define PUBLISH_OUTPUT_MAX	  1024
#define PUBLISH_RELOAD_TIMEOUT_MS 30000 /* when the options give 0 */
#define PUBLISH_UPDATE_TIMEOUT_MS 10000

/* What failed, a line for the log naming the path, command or server. */
struct publish_error {
	char detail[1536];
};

struct publish_file_opts {
	const char *fragment;	  /* path of the fragment the zone file $INCLUDEs */
	int fragment_mode;	  /* FILEIO_MODE_KEEP (common/fileio.h) or a mode */
	const char *zone_file;	  /* NULL: the SOA serial is left alone */
	char *const *reload_argv; /* NULL-terminated, run without a shell; NULL: no reload */
	int reload_timeout_ms;	  /* 0: PUBLISH_RELOAD_TIMEOUT_MS */
};

/*
 * Checks, before anything is published, that publish_file could do its job:
 * the fragment's directory takes a new file and the fragment, if present, is
 * a regular file; the zone file is readable, holds exactly one SOA record
 * and its directory takes a new file; the reload command is an executable
 * file (searched in PATH when it has no '/'). 0 or the first problem's
 * error (-errno, ERR_PARSE), err saying what.
 */
int publish_file_check(const struct publish_file_opts *o, struct publish_error *err);

/*
 * Writes the fragment atomically, then increases the zone file's serial
 * (RFC 1982, written atomically), then runs the reload command with stdin
 * from /dev/null and stdout and stderr captured, in a process group of its
 * own that is killed on timeout. Fails with -errno or ERR_PARSE from the
 * file steps, -ETIMEDOUT when the command timed out, -EIO when it exited
 * other than 0 or was killed, with err saying what, including the
 * command's last output. A failure after the fragment is written leaves it
 * written: calling again is the retry.
 */
int publish_file(const struct publish_file_opts *o, const struct fragment *f,
		 struct publish_error *err);

struct publish_update_opts {
	const char *server;	   /* IPv4 or IPv6 address of the primary */
	unsigned port;		   /* 0: 53 */
	const struct tsigkey *key; /* NULL: unsigned (a server allowing updates by address) */
	int timeout_ms;		   /* per attempt; 0: PUBLISH_UPDATE_TIMEOUT_MS */
};

/*
 * Sends one UPDATE (RFC 2136) over TCP for the fragment's zone that, for
 * every owner of the fragment, deletes the TLSA RRset and adds the
 * fragment's records there (none: the RRset is withdrawn); the server
 * applies it whole or not at all. RD is clear; with a key the UPDATE is
 * signed and the response's TSIG must verify. Fails with ERR_PARSE for bad
 * options, -ETIMEDOUT or -ECONNREFUSED or ERR_DNS when no response came,
 * -EBADMSG when the response is unsigned, its TSIG does not verify or it
 * does not match, -EACCES for REFUSED and NOTAUTH, -EIO for any other
 * rcode; err names the server and the rcode.
 */
int publish_update(const struct publish_update_opts *o, const struct fragment *f,
		   struct publish_error *err);

#endif
