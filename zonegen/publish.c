/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The file and update publishers. The reload command is started with
 * posix_spawnp (no shell; safe from a thread of a multithreaded daemon, unlike
 * a hand-rolled fork + execvp) in a process group of its own, and reaped by
 * its pid only, so a daemon's other children are never touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"
#include "zonegen/fragment.h"
#include "zonegen/publish.h"
#include "zonegen/soaserial.h"
#include "zonegen/tlsarr.h"
#include "zonegen/tsigkey.h"

extern char **environ;

static void publish_fail(struct publish_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void publish_fail(struct publish_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
}

static int64_t publish_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether argv0 names an executable file, directly or through PATH as execvp finds it. */
static int publish_find_command(const char *argv0)
{
	const char *path = getenv("PATH");
	const char *p;
	const char *colon;
	char *candidate;
	int r = -ENOENT;

	if (argv0[0] == '\0') {
		return -ENOENT;
	}
	if (strchr(argv0, '/') != NULL) {
		return access(argv0, X_OK) == 0 ? 0 : -errno;
	}
	for (p = path != NULL ? path : "/usr/local/bin:/usr/bin:/bin"; *p != '\0';
	     p = *colon == ':' ? colon + 1 : colon) {
		colon = strchrnul(p, ':');
		if (asprintf(&candidate, "%.*s/%s", (int)(colon - p), colon == p ? "." : p, argv0) <
		    0) {
			return -ENOMEM;
		}
		if (colon == p) {
			free(candidate);
			if (asprintf(&candidate, "./%s", argv0) < 0) {
				return -ENOMEM;
			}
		}
		if (access(candidate, X_OK) == 0) {
			struct stat st;

			if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
				free(candidate);
				return 0;
			}
		}
		free(candidate);
		if (*colon == '\0') {
			break;
		}
	}
	return r;
}

int publish_file_check(const struct publish_file_opts *o, struct publish_error *err)
{
	struct fileio_error ferr;
	struct soaserial_pos pos;
	struct soaserial_error serr;
	struct buf b = {NULL, 0, 0, 0};
	int r;

	if (o->fragment == NULL || o->fragment[0] == '\0') {
		r = ERR_PARSE;
		publish_fail(err, "no fragment path");
		goto out;
	}
	r = fileio_check_atomic(o->fragment, &ferr);
	if (r < 0) {
		publish_fail(err, "fragment cannot be written: %s", ferr.detail);
		goto out;
	}
	if (o->zone_file != NULL) {
		r = fileio_read(o->zone_file, SOASERIAL_FILE_MAX, &b);
		if (r < 0) {
			publish_fail(err, "zone file '%s' cannot be read: %s", o->zone_file,
				     err_str(r));
			goto out;
		}
		r = soaserial_find((const char *)b.data, b.len, &pos, &serr);
		if (r < 0) {
			if (serr.line > 0) {
				publish_fail(err, "zone file '%s', line %d: %s", o->zone_file,
					     serr.line, serr.detail);
			} else {
				publish_fail(err, "zone file '%s': %s", o->zone_file, serr.detail);
			}
			goto out;
		}
		r = fileio_check_atomic(o->zone_file, &ferr);
		if (r < 0) {
			publish_fail(err, "zone file's serial cannot be changed: %s", ferr.detail);
			goto out;
		}
	}
	if (o->reload_argv != NULL && o->reload_argv[0] != NULL) {
		r = publish_find_command(o->reload_argv[0]);
		if (r < 0) {
			publish_fail(err, "reload command '%s' cannot be run: %s",
				     o->reload_argv[0], err_str(r));
			goto out;
		}
	}
	r = 0;
out:
	buf_release(&b);
	return r;
}

/* Keeps the last PUBLISH_OUTPUT_MAX bytes the command wrote: errors come last. */
static void publish_keep_output(char *out, size_t *len, const char *p, size_t n)
{
	if (n >= PUBLISH_OUTPUT_MAX) {
		memcpy(out, p + n - PUBLISH_OUTPUT_MAX, PUBLISH_OUTPUT_MAX);
		*len = PUBLISH_OUTPUT_MAX;
		return;
	}
	if (*len + n > PUBLISH_OUTPUT_MAX) {
		size_t drop = *len + n - PUBLISH_OUTPUT_MAX;

		memmove(out, out + drop, *len - drop);
		*len -= drop;
	}
	memcpy(out + *len, p, n);
	*len += n;
}

/* Output as one log-safe line: control characters become spaces, runs of them one. */
static void publish_flatten(char *s, size_t len)
{
	size_t i;
	size_t j = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			if (j > 0 && s[j - 1] != ' ') {
				s[j++] = ' ';
			}
		} else {
			s[j++] = (char)c;
		}
	}
	while (j > 0 && s[j - 1] == ' ') {
		j--;
	}
	s[j] = '\0';
}

static int publish_spawn(char *const *argv, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	sigset_t dfl;
	static const int reset[] = {SIGPIPE, SIGCHLD, SIGHUP,  SIGINT,	SIGQUIT,
				    SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ};
	size_t i;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++) {
		sigaddset(&dfl, reset[i]);
	}
	/* stdin from /dev/null, stdout and stderr into the pipe; the daemon's signal mask
	 * and ignored signals are not the command's. */
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0) {
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	}
	if (r == 0) {
		r = posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}
	if (r == 0) {
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
							    POSIX_SPAWN_SETSIGDEF);
	}
	if (r == 0) {
		r = posix_spawnattr_setpgroup(&attr, 0);
	}
	if (r == 0) {
		r = posix_spawnattr_setsigmask(&attr, &none);
	}
	if (r == 0) {
		r = posix_spawnattr_setsigdefault(&attr, &dfl);
	}
	if (r == 0) {
		r = posix_spawnp(ret_pid, argv[0], &fa, &attr, argv, environ);
	}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* Runs argv to completion or timeout; err gets the failure with the output's tail. */
static int publish_run(char *const *argv, int timeout_ms, struct publish_error *err)
{
	char out[PUBLISH_OUTPUT_MAX + 1];
	char chunk[4096];
	size_t out_len = 0;
	int pipefd[2] = {-1, -1};
	struct pollfd pfd;
	pid_t pid = -1;
	int64_t deadline = publish_now_ms() + timeout_ms;
	int64_t left;
	bool timed_out = false;
	int status = 0;
	ssize_t n;
	pid_t w;
	int r;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = -errno;
		publish_fail(err, "reload command: pipe: %s", strerror(errno));
		goto out;
	}
	r = publish_spawn(argv, pipefd[1], &pid);
	if (r < 0) {
		pid = -1;
		publish_fail(err, "reload command '%s' cannot be run: %s", argv[0], strerror(-r));
		goto out;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	/* Read until EOF (every writer gone) or the deadline. */
	for (;;) {
		left = deadline - publish_now_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		pfd.fd = pipefd[0];
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			r = -errno;
			publish_fail(err, "reload command: poll: %s", strerror(errno));
			goto out;
		}
		if (r == 0) {
			continue;
		}
		n = read(pipefd[0], chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		publish_keep_output(out, &out_len, chunk, (size_t)n);
	}
	/* The output is closed; the command may still be exiting (or has left a child
	 * holding nothing of ours): wait for it, up to the deadline. */
	while (!timed_out) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			pid = -1;
			break;
		}
		if (w < 0 && errno != EINTR) {
			r = -errno;
			publish_fail(err, "reload command: waitpid: %s", strerror(errno));
			goto out;
		}
		if (publish_now_ms() >= deadline) {
			timed_out = true;
			break;
		}
		usleep(5000);
	}
	out[out_len] = '\0';
	publish_flatten(out, out_len);
	if (timed_out) {
		r = -ETIMEDOUT;
		publish_fail(err, "reload command '%s' timed out after %d ms and was killed%s%s",
			     argv[0], timeout_ms, out[0] != '\0' ? "; output: " : "", out);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = 0;
		goto out;
	}
	r = -EIO;
	if (WIFEXITED(status)) {
		publish_fail(err, "reload command '%s' exited with status %d%s%s", argv[0],
			     WEXITSTATUS(status), out[0] != '\0' ? ": " : " (no output)", out);
	} else {
		publish_fail(err, "reload command '%s' was killed by signal %d%s%s", argv[0],
			     WTERMSIG(status), out[0] != '\0' ? ": " : "", out);
	}
out:
	if (pid > 0) {
		/* Timed out or failed half-way: the whole process group goes. */
		kill(-pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
		}
	}
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
	}
	if (pipefd[1] >= 0) {
		close(pipefd[1]);
	}
	return r;
}

int publish_file(const struct publish_file_opts *o, const struct fragment *f,
		 struct publish_error *err)
{
	struct fileio_error ferr;
	struct soaserial_error serr;
	char *text = NULL;
	int r;

	if (o->fragment == NULL || o->fragment[0] == '\0') {
		r = ERR_PARSE;
		publish_fail(err, "no fragment path");
		goto out;
	}
	r = fragment_render(f, &text);
	if (r < 0) {
		publish_fail(err, "rendering the fragment: %s", err_str(r));
		goto out;
	}
	r = fileio_write_atomic(o->fragment, text, strlen(text), o->fragment_mode, &ferr);
	if (r < 0) {
		publish_fail(err, "writing the fragment: %s", ferr.detail);
		goto out;
	}
	/* Only a new serial makes named (and secondaries) take the new fragment; with inline
	 * signing BIND even refuses the reload without one (NOTES.md). */
	if (o->zone_file != NULL) {
		r = soaserial_bump_file(o->zone_file, NULL, NULL, &serr);
		if (r < 0) {
			publish_fail(err, "increasing the serial: %s", serr.detail);
			goto out;
		}
	}
	if (o->reload_argv != NULL && o->reload_argv[0] != NULL) {
		r = publish_run(o->reload_argv,
				o->reload_timeout_ms > 0 ? o->reload_timeout_ms
							 : PUBLISH_RELOAD_TIMEOUT_MS,
				err);
		if (r < 0) {
			goto out;
		}
	}
	r = 0;
out:
	free(text);
	return r;
}

/* RFC 2136 §2.5.2: delete an RRset: class ANY, TTL 0, no RDATA. */
static int publish_push_delete(ldns_rr_list *up, const char *owner)
{
	ldns_rdf *dname = NULL;
	ldns_rr *rr = NULL;

	if (ldns_str2rdf_dname(&dname, owner) != LDNS_STATUS_OK) {
		return ERR_PARSE;
	}
	rr = ldns_rr_new();
	if (rr == NULL) {
		ldns_rdf_deep_free(dname);
		return -ENOMEM;
	}
	ldns_rr_set_owner(rr, dname);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TLSA);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(rr, 0);
	if (!ldns_rr_list_push_rr(up, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* RFC 2136 §2.5.1: add an RR: its class, TTL and RDATA. */
static int publish_push_add(ldns_rr_list *up, const char *owner, uint32_t ttl,
			    const struct tlsa_record *rec)
{
	ldns_rr *rr = NULL;
	char *line = NULL;
	int r;

	r = tlsarr_format(owner, true, ttl, rec, &line);
	if (r < 0) {
		return r;
	}
	if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
		free(line);
		return ERR_PARSE;
	}
	free(line);
	if (!ldns_rr_list_push_rr(up, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* The update section: per owner, delete the RRset, then add its records. */
static int publish_update_section(const struct fragment *f, ldns_rr_list *up)
{
	const char *owner;
	size_t i;
	size_t j;
	int r;

	for (i = 0; i < fragment_owner_count(f); i++) {
		owner = fragment_owner(f, i);
		r = publish_push_delete(up, owner);
		if (r < 0) {
			return r;
		}
		for (j = 0; j < fragment_record_count(f); j++) {
			if (strcmp(fragment_record_owner(f, j), owner) != 0) {
				continue;
			}
			r = publish_push_add(up, owner, fragment_ttl(f), fragment_record(f, j));
			if (r < 0) {
				return r;
			}
		}
	}
	return 0;
}

/* ldns's resolver, pointed at one server over TCP, signing with the key if given. */
static int publish_resolver(const struct publish_update_opts *o, ldns_resolver **ret,
			    struct publish_error *err)
{
	ldns_resolver *res = NULL;
	ldns_rdf *addr = NULL;
	int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PUBLISH_UPDATE_TIMEOUT_MS;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	int r = ERR_PARSE;

	if (o->server == NULL || o->port > 65535) {
		publish_fail(err, "update server or port missing or invalid");
		goto out;
	}
	addr = ldns_rdf_new_frm_str(
		strchr(o->server, ':') != NULL ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, o->server);
	if (addr == NULL) {
		publish_fail(err, "update server '%s' is not an IP address", o->server);
		goto out;
	}
	res = ldns_resolver_new();
	if (res == NULL || ldns_resolver_push_nameserver(res, addr) != LDNS_STATUS_OK) {
		r = -ENOMEM;
		goto out;
	}
	ldns_resolver_set_port(res, (uint16_t)(o->port != 0 ? o->port : 53));
	/* TCP: an UPDATE may not fit a UDP datagram, and a lost UDP response would leave us
	 * not knowing whether the change was made. */
	ldns_resolver_set_usevc(res, true);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 0); /* ldns sleeps this long after a failed server */
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_random(res, false);
	if (o->key != NULL) {
		ldns_resolver_set_tsig_keyname(res, o->key->name);
		ldns_resolver_set_tsig_algorithm(res, o->key->algorithm);
		ldns_resolver_set_tsig_keydata(res, o->key->secret);
	}
	*ret = res;
	res = NULL;
	r = 0;
out:
	ldns_rdf_deep_free(addr);
	ldns_resolver_deep_free(res);
	return r;
}

/* The extended TSIG error (RFC 8945 §5.3.2) of a response, 0 when none. */
static unsigned publish_tsig_error(const ldns_pkt *p)
{
	const ldns_rr *tsig = ldns_pkt_tsig(p);

	if (tsig == NULL || ldns_rr_rd_count(tsig) < 6) {
		return 0;
	}
	return ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
}

static const char *publish_rcode_name(unsigned rcode, char buf[16])
{
	const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);

	if (lt != NULL) {
		return lt->name;
	}
	snprintf(buf, 16, "RCODE%u", rcode);
	return buf;
}

int publish_update(const struct publish_update_opts *o, const struct fragment *f,
		   struct publish_error *err)
{
	ldns_resolver *res = NULL;
	ldns_rr_list *up = NULL;
	ldns_rdf *zone = NULL;
	ldns_pkt *pkt = NULL;
	ldns_pkt *answer = NULL;
	ldns_status st;
	char where[128];
	char rbuf[16];
	unsigned rcode;
	int r;

	snprintf(where, sizeof(where), "update of zone %s at %s port %u", fragment_zone(f),
		 o->server != NULL ? o->server : "?", o->port != 0 ? o->port : 53);
	r = publish_resolver(o, &res, err);
	if (r < 0) {
		goto out;
	}
	up = ldns_rr_list_new();
	if (up == NULL) {
		r = -ENOMEM;
		goto out;
	}
	r = publish_update_section(f, up);
	if (r < 0) {
		publish_fail(err, "%s: composing: %s", where, err_str(r));
		goto out;
	}
	if (ldns_str2rdf_dname(&zone, fragment_zone(f)) != LDNS_STATUS_OK) {
		r = ERR_PARSE;
		goto out;
	}
	/* Takes zone; copies up. */
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zone = NULL;
	if (pkt == NULL) {
		r = -ENOMEM;
		goto out;
	}
	ldns_pkt_set_rd(pkt, false); /* ldns sets RD; an UPDATE has none (RFC 2136 §2.2) */
	ldns_pkt_set_random_id(pkt);
	if (o->key != NULL) {
		/* Every non-OK status is fatal: ldns 1.8.3 fails here for hmac-sha384 and the
		 * update would otherwise go out unsigned (NOTES.md). */
		st = ldns_update_pkt_tsig_add(pkt, res);
		if (st != LDNS_STATUS_OK || ldns_pkt_tsig(pkt) == NULL) {
			r = ERR_CRYPTO;
			publish_fail(err, "%s: signing with TSIG key '%s' (%s): %s", where,
				     o->key->name, o->key->algorithm, ldns_get_errorstr_by_id(st));
			goto out;
		}
	}
	/* ldns_send verifies the response's TSIG against the query's MAC, and returns the
	 * response even when that fails, so its rcode can be reported. */
	st = ldns_send(&answer, res, pkt);
	if (answer == NULL) {
		r = st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS ? -ETIMEDOUT
										 : ERR_DNS;
		publish_fail(err, "%s: no response: %s", where, ldns_get_errorstr_by_id(st));
		goto out;
	}
	rcode = ldns_pkt_get_rcode(answer);
	if (ldns_pkt_id(answer) != ldns_pkt_id(pkt) ||
	    ldns_pkt_get_opcode(answer) != LDNS_PACKET_UPDATE || !ldns_pkt_qr(answer)) {
		r = -EBADMSG;
		publish_fail(err, "%s: the response does not answer the update", where);
		goto out;
	}
	if (rcode == LDNS_RCODE_NOTAUTH || rcode == LDNS_RCODE_REFUSED) {
		unsigned terr = publish_tsig_error(answer);

		r = -EACCES;
		if (terr != 0) {
			/* RFC 8945 §5.2: 16 BADSIG, 17 BADKEY, 18 BADTIME. */
			publish_fail(err, "%s: %s, TSIG error %s (key '%s')", where,
				     publish_rcode_name(rcode, rbuf),
				     terr == 16	  ? "BADSIG (wrong secret)"
				     : terr == 17 ? "BADKEY (server does not know the key)"
				     : terr == 18 ? "BADTIME (clocks differ)"
						  : "other",
				     o->key != NULL ? o->key->name : "none");
		} else {
			publish_fail(err, "%s: %s (not allowed to update this zone%s)", where,
				     publish_rcode_name(rcode, rbuf),
				     o->key != NULL ? " with this key" : " without a key");
		}
		goto out;
	}
	if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS ||
	    (o->key != NULL && ldns_pkt_tsig(answer) == NULL)) {
		r = -EBADMSG;
		publish_fail(
			err, "%s: the response (%s) is %s", where, publish_rcode_name(rcode, rbuf),
			ldns_pkt_tsig(answer) == NULL ? "not signed"
						      : "signed, but its TSIG does not verify");
		goto out;
	}
	if (st != LDNS_STATUS_OK) {
		r = ERR_DNS;
		publish_fail(err, "%s: %s", where, ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (rcode != LDNS_RCODE_NOERROR) {
		r = -EIO;
		publish_fail(err, "%s: the server answered %s", where,
			     publish_rcode_name(rcode, rbuf));
		goto out;
	}
	r = 0;
out:
	ldns_pkt_free(answer);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(zone);
	ldns_rr_list_deep_free(up);
	ldns_resolver_deep_free(res);
	return r;
}
