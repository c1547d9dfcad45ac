/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Direct DNS queries with ldns packets over nonblocking sockets on libevent.
 * Every read is bounded by the DNS message maximum (65535 octets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "checks/authq.h"
#include "common/err.h"

/* The largest DNS message (RFC 1035 §4.2.2: a two-octet length). */
#define AUTHQ_MSG_MAX 65535
/* The EDNS buffer size DNS flag day 2020 settled on. */
#define AUTHQ_EDNS_SIZE 1232

struct authq {
	struct event_base *base;
	struct event *ev;
	int fd;
	bool tcp;
	int tries;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint8_t *query; /* wire form; TCP adds the length prefix when sending */
	size_t query_len;
	uint16_t id;
	uint8_t *in; /* TCP: 2-octet length plus message */
	size_t in_len;
	size_t out_off; /* TCP: bytes of (prefix + query) written */
	authq_fn fn;
	void *arg;
};

static void authq_free(struct authq *q)
{
	if (q->ev != NULL) {
		event_free(q->ev);
	}
	if (q->fd >= 0) {
		close(q->fd);
	}
	free(q->query);
	free(q->in);
	free(q);
}

void authq_cancel(struct authq *q)
{
	if (q != NULL) {
		authq_free(q);
	}
}

static void authq_finish(struct authq *q, enum lookup_status st, const ldns_pkt *pkt)
{
	authq_fn fn = q->fn;
	void *arg = q->arg;

	authq_free(q);
	fn(arg, st, pkt);
}

static enum lookup_status authq_status(const ldns_pkt *pkt)
{
	switch (ldns_pkt_get_rcode(pkt)) {
	case LDNS_RCODE_NOERROR:
	case LDNS_RCODE_NXDOMAIN:
		return LOOKUP_OK;
	case LDNS_RCODE_SERVFAIL:
		return LOOKUP_SERVFAIL;
	case LDNS_RCODE_REFUSED:
		return LOOKUP_REFUSED;
	default:
		return LOOKUP_ERROR;
	}
}

static int authq_build(struct authq *q, const char *qname, uint16_t qtype)
{
	ldns_pkt *pkt = NULL;
	uint8_t *wire = NULL, *exact;
	size_t len = 0;
	int r = ERR_DNS;

	if (ldns_pkt_query_new_frm_str(&pkt, qname, qtype, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK) {
		r = ERR_PARSE;
		goto out;
	}
	ldns_pkt_set_random_id(pkt);
	ldns_pkt_set_rd(pkt, false); /* an authoritative server must answer itself */
	ldns_pkt_set_edns_do(pkt, true);
	ldns_pkt_set_edns_udp_size(pkt, AUTHQ_EDNS_SIZE);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK) {
		goto out;
	}
	/*
	 * ldns hands over its whole 64 KiB packet buffer for a query of ~50
	 * bytes, and the query is kept until answered: at 64 checks in flight
	 * that was ~5 MiB of xdaned's peak. Keep what was written.
	 */
	exact = realloc(wire, len);
	if (exact != NULL) {
		wire = exact;
	}
	q->id = ldns_pkt_id(pkt);
	q->query = wire;
	q->query_len = len;
	wire = NULL;
	r = 0;
out:
	free(wire);
	ldns_pkt_free(pkt);
	return r;
}

/* The response if it is one to our question; NULL for stray or malformed packets. */
static ldns_pkt *authq_parse(struct authq *q, const uint8_t *data, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (ldns_wire2pkt(&pkt, data, len) != LDNS_STATUS_OK) {
		return NULL;
	}
	if (ldns_pkt_id(pkt) != q->id || !ldns_pkt_qr(pkt)) {
		ldns_pkt_free(pkt);
		return NULL;
	}
	return pkt;
}

static void authq_on_event(evutil_socket_t fd, short what, void *arg);

static int authq_arm_after(struct authq *q, short what, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};

	if (q->ev != NULL) {
		event_free(q->ev);
	}
	q->ev = event_new(q->base, q->fd, what, authq_on_event, q);
	if (q->ev == NULL || event_add(q->ev, &tv) < 0) {
		return -ENOMEM;
	}
	return 0;
}

static int authq_arm(struct authq *q, short what)
{
	return authq_arm_after(q, what, AUTHQ_TRY_TIMEOUT_MS);
}

static int authq_socket(struct authq *q, int type)
{
	if (q->fd >= 0) {
		close(q->fd);
	}
	q->fd = socket(q->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		return -errno;
	}
	if (connect(q->fd, (struct sockaddr *)&q->addr, q->addr_len) < 0 && errno != EINPROGRESS) {
		return -errno;
	}
	return 0;
}

static void authq_udp_send(struct authq *q)
{
	q->tries++;
	if (send(q->fd, q->query, q->query_len, 0) < 0 && errno != EAGAIN) {
		authq_finish(q, LOOKUP_ERROR, NULL);
		return;
	}
	if (authq_arm(q, EV_READ) < 0) {
		authq_finish(q, LOOKUP_ERROR, NULL);
	}
}

static void authq_tcp_start(struct authq *q)
{
	q->tcp = true;
	q->out_off = 0;
	q->in_len = 0;
	if (authq_socket(q, SOCK_STREAM) < 0 || authq_arm(q, EV_WRITE) < 0) {
		authq_finish(q, LOOKUP_ERROR, NULL);
	}
}

static void authq_udp_read(struct authq *q)
{
	uint8_t buf[AUTHQ_MSG_MAX];
	ssize_t n;
	ldns_pkt *pkt;

	n = recv(q->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			authq_arm(q, EV_READ);
			return;
		}
		/* e.g. ECONNREFUSED: nothing listens there (ICMP port unreachable). */
		authq_finish(q, LOOKUP_ERROR, NULL);
		return;
	}
	pkt = authq_parse(q, buf, (size_t)n);
	if (pkt == NULL) {
		authq_arm(q, EV_READ); /* not ours: keep waiting within this try */
		return;
	}
	if (ldns_pkt_tc(pkt)) {
		ldns_pkt_free(pkt);
		authq_tcp_start(q);
		return;
	}
	authq_finish(q, authq_status(pkt), pkt);
	ldns_pkt_free(pkt);
}

static void authq_tcp_write(struct authq *q)
{
	uint8_t out[2 + AUTHQ_MSG_MAX];
	size_t total = 2 + q->query_len;
	ssize_t n;

	out[0] = (uint8_t)(q->query_len >> 8);
	out[1] = (uint8_t)q->query_len;
	memcpy(out + 2, q->query, q->query_len);
	n = send(q->fd, out + q->out_off, total - q->out_off, MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		authq_finish(q, LOOKUP_ERROR, NULL);
		return;
	}
	if (n > 0) {
		q->out_off += (size_t)n;
	}
	if (authq_arm(q, q->out_off < total ? EV_WRITE : EV_READ) < 0) {
		authq_finish(q, LOOKUP_ERROR, NULL);
	}
}

static void authq_tcp_read(struct authq *q)
{
	size_t want;
	ssize_t n;
	ldns_pkt *pkt;

	if (q->in == NULL && (q->in = malloc(2 + AUTHQ_MSG_MAX)) == NULL) {
		authq_finish(q, LOOKUP_ERROR, NULL);
		return;
	}
	want = q->in_len < 2 ? 2 : 2 + ((size_t)q->in[0] << 8 | q->in[1]);
	n = recv(q->fd, q->in + q->in_len, want - q->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		authq_arm(q, EV_READ);
		return;
	}
	if (n <= 0) {
		authq_finish(q, LOOKUP_ERROR, NULL);
		return;
	}
	q->in_len += (size_t)n;
	if (q->in_len == 2 || q->in_len < want) {
		authq_arm(q, EV_READ);
		return;
	}
	pkt = authq_parse(q, q->in + 2, q->in_len - 2);
	authq_finish(q, pkt != NULL ? authq_status(pkt) : LOOKUP_ERROR, pkt);
	ldns_pkt_free(pkt);
}

static void authq_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct authq *q = arg;

	(void)fd;
	if (what & EV_TIMEOUT) {
		/* The first "timeout" is the start, so that fn never runs inside authq_send. */
		if (!q->tcp && q->tries < AUTHQ_TRIES) {
			authq_udp_send(q);
		} else {
			authq_finish(q, LOOKUP_TIMEOUT, NULL);
		}
		return;
	}
	if (!q->tcp) {
		authq_udp_read(q);
	} else if (what & EV_WRITE) {
		authq_tcp_write(q);
	} else {
		authq_tcp_read(q);
	}
}

static int authq_address(struct authq *q, const char *address, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&q->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&q->addr;

	memset(&q->addr, 0, sizeof(q->addr));
	if (inet_pton(AF_INET, address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		q->addr_len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		q->addr_len = sizeof(*sin6);
		return 0;
	}
	return ERR_PARSE;
}

int authq_send(struct event_base *base, const char *address, uint16_t port, const char *qname,
	       uint16_t qtype, authq_fn fn, void *arg, struct authq **ret)
{
	struct authq *q = calloc(1, sizeof(*q));
	int r;

	if (q == NULL) {
		return -ENOMEM;
	}
	q->fd = -1;
	q->base = base;
	q->fn = fn;
	q->arg = arg;
	r = authq_address(q, address, port);
	if (r == 0) {
		r = authq_build(q, qname, qtype);
	}
	if (r == 0) {
		r = authq_socket(q, SOCK_DGRAM);
	}
	if (r == 0) {
		r = authq_arm_after(q, EV_TIMEOUT, 0);
	}
	if (r < 0) {
		authq_free(q);
		return r;
	}
	*ret = q;
	return 0;
}
