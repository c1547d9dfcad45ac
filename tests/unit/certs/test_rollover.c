/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/rollover: every transition from a fixture driven
 * through the engine (table-driven), the rules around it (skips, retries,
 * stalls, aborts, clock jumps, the text form), and a property test: a small
 * world of authoritative servers and endpoints that applies the engine's
 * actions late, fails, crashes the daemon and moves its clock, checking the
 * DESIGN.md invariant after every second and that the rollover completes
 * once the world behaves. Set ROLLOVER_SEED=N to replay one run with its trace,
 * ROLLOVER_RUNS=N for a longer soak.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs/rollover.h"
#include "common/err.h"

#define T0 ((int64_t)1795000000)

/* Keys */

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void fill(uint8_t *p, size_t n, uint32_t id, uint32_t salt)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = (uint8_t)mix32(id * 0x9e3779b9U + salt * 0x85ebca6bU + (uint32_t)i);
	}
}

/* Key id's digests and records: selector 1 data from its SPKI, selector 0 from its cert. */
static void key_make(struct rollover_key *k, const struct rollover_tlsa_type *shape, size_t n,
		     uint32_t id, bool has_cert)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	fill(k->spki_sha256, ROLLOVER_DIGEST_LEN, id, 1);
	fill(k->cert_sha256, ROLLOVER_DIGEST_LEN, id, 2);
	k->has_cert = has_cert;
	for (i = 0; i < n; i++) {
		fill(k->data[i], ROLLOVER_DATA_MAX, id,
		     10 + shape[i].selector * 4 + shape[i].mtype + shape[i].usage * 16);
	}
}

static void key_recs(const struct rollover_tlsa_type *shape, size_t n, const struct rollover_key *k,
		     struct rollover_rec *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].usage = shape[i].usage;
		out[i].selector = shape[i].selector;
		out[i].mtype = shape[i].mtype;
		out[i].len = shape[i].mtype == 1 ? 32 : 64;
		memcpy(out[i].data, k->data[i], out[i].len);
	}
}

static bool recs_have(const struct rollover_rec *recs, size_t n, const struct rollover_rec *r)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (recs[i].usage == r->usage && recs[i].selector == r->selector &&
		    recs[i].mtype == r->mtype && recs[i].len == r->len &&
		    memcmp(recs[i].data, r->data, r->len) == 0) {
			return true;
		}
	}
	return false;
}

/* Every record of the key is in the set. */
static bool recs_hold_key(const struct rollover_tlsa_type *shape, size_t n_shape,
			  const struct rollover_rec *recs, size_t n, const struct rollover_key *k)
{
	struct rollover_rec kr[ROLLOVER_SHAPE_MAX];
	size_t i;

	key_recs(shape, n_shape, k, kr);
	for (i = 0; i < n_shape; i++) {
		if (!recs_have(recs, n, &kr[i])) {
			return false;
		}
	}
	return true;
}

/* No record of the key is in the set. */
static bool recs_lack_key(const struct rollover_tlsa_type *shape, size_t n_shape,
			  const struct rollover_rec *recs, size_t n, const struct rollover_key *k)
{
	struct rollover_rec kr[ROLLOVER_SHAPE_MAX];
	size_t i;

	key_recs(shape, n_shape, k, kr);
	for (i = 0; i < n_shape; i++) {
		if (recs_have(recs, n, &kr[i])) {
			return false;
		}
	}
	return true;
}

/* The fixture: two servers that serve what they are told, two endpoints. */

static const struct rollover_tlsa_type shape2[] = {{3, 1, 1}, {3, 1, 2}};

#define FX_SERVERS   2
#define FX_ENDPOINTS 2
#define FX_TTL	     300
#define FX_MARGIN    60
#define FX_WAIT	     (FX_TTL + FX_MARGIN)

struct fx {
	struct rollover_state st;
	struct rollover_config cfg;
	int64_t now;
	struct rollover_key cur, nw;
	struct rollover_rec served[FX_SERVERS][ROLLOVER_FRAGMENT_MAX];
	size_t n_served[FX_SERVERS];
	bool answered[FX_SERVERS];
	const struct rollover_key *presents[FX_ENDPOINTS];
	bool ep_answered[FX_ENDPOINTS];
	bool dane_ok;
	struct rollover_actions act;
	uint32_t publish_seq, deploy_seq, generate_seq;
	struct rollover_rec published[ROLLOVER_FRAGMENT_MAX];
	size_t n_published;
};

enum fx_event {
	EV_TICK,
	EV_STAGE,
	EV_STAGE_CUR,
	EV_PUBLISH_OK,
	EV_PUBLISH_FAIL,
	EV_SERVE,	 /* every server serves the last fragment; no time passes */
	EV_SERVE_WAITED, /* ... and the wait passes */
	EV_ONE_LAGS,	 /* server 1 still has the old fragment, the wait passes */
	EV_ONE_SILENT,	 /* server 1 does not answer, the wait passes */
	EV_DEPLOY_OK,
	EV_DEPLOY_FAIL,
	EV_EPS_NEW,	   /* both endpoints present the new key, DANE matching */
	EV_EPS_HALF,	   /* one does */
	EV_EPS_HALF_ACKED, /* one does, and the last publish is confirmed */
	EV_EPS_NEW_NODANE,
	EV_EP_SILENT, /* both new, one does not answer */
	EV_ABORT,
	EV_RETIRE,	/* publish ok and every server serves it */
	EV_RETIRE_LAGS, /* publish ok, server 1 still serves the old key */
};

struct fx_scratch {
	struct rollover_server_obs servers[FX_SERVERS];
	struct rollover_endpoint_obs eps[FX_ENDPOINTS];
	struct rollover_result res;
};

static void fx_obs(struct fx *f, struct fx_scratch *s, struct rollover_obs *obs)
{
	size_t i;

	memset(obs, 0, sizeof(*obs));
	memset(s, 0, sizeof(*s));
	obs->dns_known = true;
	obs->n_servers = FX_SERVERS;
	obs->servers = s->servers;
	obs->rrset_ttl_s = FX_TTL;
	obs->negative_ttl_s = -1;
	for (i = 0; i < FX_SERVERS; i++) {
		s->servers[i].answered = f->answered[i];
		s->servers[i].n_recs = f->n_served[i];
		s->servers[i].recs = f->served[i];
	}
	obs->endpoints_known = true;
	obs->n_endpoints = FX_ENDPOINTS;
	obs->endpoints = s->eps;
	for (i = 0; i < FX_ENDPOINTS; i++) {
		s->eps[i].answered = f->ep_answered[i];
		memcpy(s->eps[i].spki_sha256, f->presents[i]->spki_sha256, ROLLOVER_DIGEST_LEN);
		memcpy(s->eps[i].cert_sha256, f->presents[i]->cert_sha256, ROLLOVER_DIGEST_LEN);
		s->eps[i].dane_ok = f->dane_ok;
	}
}

/* One step; remembers what the engine asked for. */
static void fx_run(struct fx *f, struct rollover_obs *obs)
{
	assert_int_equal(rollover_step(&f->st, &f->cfg, obs, f->now, &f->act), 0);
	if (f->act.publish) {
		f->publish_seq = f->act.publish_seq;
		memcpy(f->published, f->act.recs, sizeof(f->published));
		f->n_published = f->act.n_recs;
	}
	if (f->act.deploy) {
		f->deploy_seq = f->act.deploy_seq;
	}
	if (f->act.generate) {
		f->generate_seq = f->act.generate_seq;
	}
}

static void fx_serve_all(struct fx *f)
{
	size_t i;

	for (i = 0; i < FX_SERVERS; i++) {
		memcpy(f->served[i], f->published, sizeof(f->published));
		f->n_served[i] = f->n_published;
	}
}

static void fx_event(struct fx *f, enum fx_event ev)
{
	struct fx_scratch s;
	struct rollover_obs obs;

	fx_obs(f, &s, &obs);
	switch (ev) {
	case EV_TICK:
		f->now += 10;
		break;
	case EV_STAGE:
		obs.stage = &f->nw;
		break;
	case EV_STAGE_CUR:
		obs.stage = &f->cur;
		break;
	case EV_PUBLISH_OK:
	case EV_PUBLISH_FAIL:
	case EV_RETIRE:
	case EV_RETIRE_LAGS:
		s.res.seq = f->publish_seq;
		s.res.ok = ev != EV_PUBLISH_FAIL;
		s.res.error = "rndc: connection refused";
		obs.publish = &s.res;
		if (ev == EV_RETIRE || ev == EV_RETIRE_LAGS) {
			fx_serve_all(f);
			if (ev == EV_RETIRE_LAGS) {
				struct rollover_rec r[ROLLOVER_SHAPE_MAX];

				key_recs(shape2, 2, &f->cur, r);
				memcpy(&f->served[1][f->n_served[1]++], &r[0], sizeof(r[0]));
			}
			fx_obs(f, &s, &obs);
			s.res.seq = f->publish_seq;
			s.res.ok = true;
			obs.publish = &s.res;
		}
		break;
	case EV_SERVE:
		fx_serve_all(f);
		fx_obs(f, &s, &obs);
		break;
	case EV_SERVE_WAITED:
	case EV_ONE_LAGS:
	case EV_ONE_SILENT: {
		/* Seen first, then the wait passes in steps of a minute. */
		int64_t end;

		fx_serve_all(f);
		if (ev == EV_ONE_LAGS) {
			key_recs(shape2, 2, &f->cur, f->served[1]);
			f->n_served[1] = 2;
		}
		if (ev == EV_ONE_SILENT) {
			f->answered[1] = false;
		}
		fx_obs(f, &s, &obs);
		fx_run(f, &obs);
		end = f->now + FX_WAIT;
		while (f->now < end) {
			f->now += 60;
			if (f->now > end) {
				f->now = end;
			}
			fx_obs(f, &s, &obs);
			if (f->now < end) {
				fx_run(f, &obs);
			}
		}
		f->answered[1] = true;
		break;
	}
	case EV_DEPLOY_OK:
	case EV_DEPLOY_FAIL:
		s.res.seq = f->deploy_seq;
		s.res.ok = ev == EV_DEPLOY_OK;
		s.res.error = "prosodyctl: exit 1";
		obs.deploy = &s.res;
		break;
	case EV_EPS_NEW:
	case EV_EPS_HALF:
	case EV_EPS_HALF_ACKED:
	case EV_EPS_NEW_NODANE:
	case EV_EP_SILENT:
		f->presents[0] = &f->nw;
		f->presents[1] = ev == EV_EPS_HALF || ev == EV_EPS_HALF_ACKED ? &f->cur : &f->nw;
		f->dane_ok = ev != EV_EPS_NEW_NODANE;
		f->ep_answered[1] = ev != EV_EP_SILENT;
		fx_obs(f, &s, &obs);
		f->dane_ok = true;
		f->ep_answered[1] = true;
		if (ev == EV_EPS_HALF_ACKED) {
			s.res.seq = f->publish_seq;
			s.res.ok = true;
			obs.publish = &s.res;
		}
		break;
	case EV_ABORT:
		obs.abort = true;
		break;
	}
	fx_run(f, &obs);
}

static void fx_init(struct fx *f, enum rollover_mode mode)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	rollover_config_init(&f->cfg);
	f->cfg.ttl_s = FX_TTL;
	f->cfg.safety_margin_s = FX_MARGIN;
	f->cfg.retry_limit = 3;
	f->now = T0;
	key_make(&f->cur, shape2, 2, 1, true);
	key_make(&f->nw, shape2, 2, 2, true);
	assert_int_equal(rollover_init(mode, shape2, 2, &f->cur, f->now, &f->st), 0);
	for (i = 0; i < FX_SERVERS; i++) {
		key_recs(shape2, 2, &f->cur, f->served[i]);
		f->n_served[i] = 2;
		f->answered[i] = true;
	}
	for (i = 0; i < FX_ENDPOINTS; i++) {
		f->presents[i] = &f->cur;
		f->ep_answered[i] = true;
	}
	f->dane_ok = true;
	/* The first step publishes the fragment as it should be. */
	fx_event(f, EV_TICK);
	assert_true(f->act.publish);
	fx_event(f, EV_PUBLISH_OK);
	fx_event(f, EV_SERVE);
}

/* Drives a fresh reactive rollover to the phase. */
static void fx_reach(struct fx *f, enum rollover_phase phase)
{
	static const enum fx_event path[] = {
		[ROLLOVER_STAGED] = EV_STAGE,
		[ROLLOVER_PUBLISHED] = EV_PUBLISH_OK,
		[ROLLOVER_PROPAGATED] = EV_SERVE_WAITED,
		[ROLLOVER_DEPLOYED] = EV_DEPLOY_OK,
		[ROLLOVER_VERIFIED] = EV_EPS_NEW,
		[ROLLOVER_RETIRED] = EV_RETIRE,
	};
	int p;

	fx_init(f, ROLLOVER_MODE_REACTIVE);
	for (p = ROLLOVER_STAGED; p <= (int)phase; p++) {
		fx_event(f, path[p]);
		assert_int_equal(f->st.phase, p);
	}
}

/* Every transition, and every event that must not move a phase. */
static void test_transitions(void **state)
{
	static const struct {
		enum rollover_phase from;
		enum fx_event ev;
		enum rollover_phase to;
		int req;	  /* req_status */
		bool publish;	  /* a publish action in this step */
		bool deploy;	  /* a deploy action in this step */
		bool cur_in_frag; /* the fragment (published last) holds the current key */
		bool new_in_frag; /* ... the new key */
	} rows[] = {
		{ROLLOVER_IDLE, EV_TICK, ROLLOVER_IDLE, 0, false, false, true, false},
		{ROLLOVER_IDLE, EV_STAGE, ROLLOVER_STAGED, 0, true, false, true, true},
		{ROLLOVER_IDLE, EV_STAGE_CUR, ROLLOVER_IDLE, -EALREADY, false, false, true, false},
		{ROLLOVER_IDLE, EV_ABORT, ROLLOVER_IDLE, -ENOENT, false, false, true, false},
		{ROLLOVER_STAGED, EV_PUBLISH_OK, ROLLOVER_PUBLISHED, 0, false, false, true, true},
		{ROLLOVER_STAGED, EV_PUBLISH_FAIL, ROLLOVER_STAGED, 0, false, false, true, true},
		{ROLLOVER_STAGED, EV_TICK, ROLLOVER_STAGED, 0, false, false, true, true},
		{ROLLOVER_STAGED, EV_STAGE, ROLLOVER_STAGED, 0, false, false, true, true},
		{ROLLOVER_STAGED, EV_ABORT, ROLLOVER_IDLE, 0, false, false, true, true},
		{ROLLOVER_PUBLISHED, EV_SERVE, ROLLOVER_PUBLISHED, 0, false, false, true, true},
		{ROLLOVER_PUBLISHED, EV_SERVE_WAITED, ROLLOVER_PROPAGATED, 0, false, true, true,
		 true},
		{ROLLOVER_PUBLISHED, EV_ONE_LAGS, ROLLOVER_PUBLISHED, 0, false, false, true, true},
		{ROLLOVER_PUBLISHED, EV_ONE_SILENT, ROLLOVER_PUBLISHED, 0, false, false, true,
		 true},
		{ROLLOVER_PUBLISHED, EV_ABORT, ROLLOVER_IDLE, 0, true, false, true, false},
		{ROLLOVER_PUBLISHED, EV_STAGE_CUR, ROLLOVER_PUBLISHED, -EBUSY, false, false, true,
		 true},
		{ROLLOVER_PROPAGATED, EV_DEPLOY_OK, ROLLOVER_DEPLOYED, 0, false, false, true, true},
		{ROLLOVER_PROPAGATED, EV_DEPLOY_FAIL, ROLLOVER_PROPAGATED, 0, false, false, true,
		 true},
		{ROLLOVER_PROPAGATED, EV_ABORT, ROLLOVER_PROPAGATED, -EBUSY, false, false, true,
		 true},
		{ROLLOVER_DEPLOYED, EV_EPS_NEW, ROLLOVER_VERIFIED, 0, true, false, false, true},
		{ROLLOVER_DEPLOYED, EV_EPS_HALF, ROLLOVER_DEPLOYED, 0, false, false, true, true},
		{ROLLOVER_DEPLOYED, EV_EPS_NEW_NODANE, ROLLOVER_DEPLOYED, 0, false, false, true,
		 true},
		{ROLLOVER_DEPLOYED, EV_EP_SILENT, ROLLOVER_DEPLOYED, 0, false, false, true, true},
		{ROLLOVER_DEPLOYED, EV_ABORT, ROLLOVER_DEPLOYED, -EBUSY, false, false, true, true},
		{ROLLOVER_VERIFIED, EV_RETIRE, ROLLOVER_RETIRED, 0, false, false, false, true},
		{ROLLOVER_VERIFIED, EV_RETIRE_LAGS, ROLLOVER_VERIFIED, 0, false, false, false,
		 true},
		/* The old key is back on an endpoint: its records come back. */
		{ROLLOVER_VERIFIED, EV_EPS_HALF, ROLLOVER_VERIFIED, 0, false, false, false, true},
		{ROLLOVER_VERIFIED, EV_EPS_HALF_ACKED, ROLLOVER_VERIFIED, 0, true, false, true,
		 true},
		{ROLLOVER_RETIRED, EV_TICK, ROLLOVER_IDLE, 0, false, false, false, true},
		{ROLLOVER_RETIRED, EV_ABORT, ROLLOVER_IDLE, -EBUSY, false, false, false, true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx *f = malloc(sizeof(*f));

		assert_non_null(f);
		fx_reach(f, rows[i].from);
		if (rows[i].from == ROLLOVER_PROPAGATED && rows[i].ev == EV_ABORT) {
			/* The deploy is running: too late to abort. */
			assert_true(f->act.deploy);
		}
		fx_event(f, rows[i].ev);
		if (f->st.phase != rows[i].to || f->act.req_status != rows[i].req ||
		    f->act.publish != rows[i].publish || f->act.deploy != rows[i].deploy ||
		    recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur) !=
			    rows[i].cur_in_frag ||
		    recs_hold_key(shape2, 2, f->published, f->n_published, &f->nw) !=
			    rows[i].new_in_frag) {
			fail_msg("row %zu (%s, event %d): phase %s req %d (%s) publish %d deploy "
				 "%d cur %d new %d",
				 i, rollover_phase_name(rows[i].from), rows[i].ev,
				 rollover_phase_name(f->st.phase), f->act.req_status,
				 f->act.req_message, f->act.publish, f->act.deploy,
				 recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur),
				 recs_hold_key(shape2, 2, f->published, f->n_published, &f->nw));
		}
		free(f);
	}
}

/* After a complete rollover the new key is current and only its records are out. */
static void test_full_reactive(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_RETIRED);
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.phase, ROLLOVER_IDLE);
	assert_memory_equal(f->st.slots[ROLLOVER_SLOT_CUR].key.spki_sha256, f->nw.spki_sha256,
			    ROLLOVER_DIGEST_LEN);
	assert_false(f->st.slots[ROLLOVER_SLOT_NEW].set);
	assert_int_equal(f->n_published, 2);
	assert_true(recs_hold_key(shape2, 2, f->published, 2, &f->nw));
	assert_false(f->act.stalled);
	assert_false(f->act.failed);
	free(f);
}

/* RFC 7671 §9: the new key comes in every matching type of the current one. */
static void test_agility(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	size_t i, n311 = 0, n312 = 0;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_STAGED);
	assert_int_equal(f->n_published, 4);
	for (i = 0; i < f->n_published; i++) {
		n311 += f->published[i].mtype == 1;
		n312 += f->published[i].mtype == 2;
		assert_int_equal(f->published[i].usage, 3);
		assert_int_equal(f->published[i].selector, 1);
		/* Sorted: a fragment is written the same way every time. */
		if (i > 0) {
			assert_true(f->published[i - 1].mtype <= f->published[i].mtype);
		}
	}
	assert_int_equal(n311, 2);
	assert_int_equal(n312, 2);
	free(f);
}

/* The wait counts from the first sighting on every server, and a lagging server restarts it. */
static void test_wait(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_PUBLISHED);
	assert_int_equal(rollover_wait_s(&f->st, &f->cfg), FX_WAIT);
	fx_event(f, EV_SERVE);
	f->now += FX_WAIT - 1;
	fx_event(f, EV_SERVE);
	assert_int_equal(f->st.phase, ROLLOVER_PUBLISHED);
	assert_int_equal(f->act.wake_s, f->now + 1);
	/* Server 1 answers with the old fragment again: from zero. */
	key_recs(shape2, 2, &f->cur, f->served[1]);
	f->n_served[1] = 2;
	f->now += 1;
	{
		struct fx_scratch s;
		struct rollover_obs obs;

		fx_obs(f, &s, &obs);
		fx_run(f, &obs);
	}
	assert_int_equal(f->st.slots[ROLLOVER_SLOT_NEW].seen, ROLLOVER_SEEN_NO);
	fx_event(f, EV_SERVE);
	f->now += FX_WAIT;
	fx_event(f, EV_SERVE);
	assert_int_equal(f->st.phase, ROLLOVER_PROPAGATED);
	free(f);
}

/* A larger TTL seen (or a negative TTL) lengthens the wait; min-wait is a floor. */
static void test_wait_ttl(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	struct fx_scratch s;
	struct rollover_obs obs;

	(void)state;
	assert_non_null(f);
	fx_init(f, ROLLOVER_MODE_REACTIVE);
	fx_obs(f, &s, &obs);
	obs.rrset_ttl_s = 7200;
	fx_run(f, &obs);
	assert_int_equal(rollover_wait_s(&f->st, &f->cfg), 7200 + FX_MARGIN);
	/* Lower again: the bound drops only after 7200 s of the lower TTL. */
	fx_obs(f, &s, &obs);
	obs.negative_ttl_s = 900;
	fx_run(f, &obs);
	assert_int_equal(rollover_wait_s(&f->st, &f->cfg), 7200 + FX_MARGIN);
	while (f->now < T0 + 7300) {
		f->now += 600;
		fx_obs(f, &s, &obs);
		obs.negative_ttl_s = 900;
		fx_run(f, &obs);
	}
	assert_int_equal(rollover_wait_s(&f->st, &f->cfg), 900 + FX_MARGIN);
	f->cfg.min_wait_s = 5000;
	assert_int_equal(rollover_wait_s(&f->st, &f->cfg), 5000);
	free(f);
}

/* Current + next: the pre-published next key needs no wait at all. */
static void test_next_key_no_wait(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	struct fx_scratch s;
	struct rollover_obs obs;
	struct rollover_key next, next2;

	(void)state;
	assert_non_null(f);
	fx_init(f, ROLLOVER_MODE_CURRENT_NEXT);
	/* fx_init's first step asked for a next key. */
	assert_true(f->generate_seq > 0);
	key_make(&next, shape2, 2, 7, false);
	fx_obs(f, &s, &obs);
	s.res.seq = f->generate_seq;
	s.res.ok = true;
	obs.generate = &s.res;
	obs.generated = &next;
	fx_run(f, &obs);
	assert_true(f->st.slots[ROLLOVER_SLOT_NEXT].set);
	assert_true(f->act.publish);
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &next));
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur));
	fx_event(f, EV_PUBLISH_OK);
	fx_event(f, EV_SERVE);
	f->now += FX_WAIT;
	fx_event(f, EV_SERVE);
	assert_int_equal(f->st.phase, ROLLOVER_IDLE);

	/* The ACME client got a certificate for the next key. */
	f->nw = next;
	f->nw.has_cert = true;
	fx_event(f, EV_STAGE);
	assert_int_equal(f->act.req_status, 0);
	assert_int_equal(f->st.phase, ROLLOVER_STAGED);
	assert_true(f->st.new_from_next);
	assert_true(f->act.generate); /* a fresh next key */
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.phase, ROLLOVER_PROPAGATED);
	assert_true(f->act.deploy);
	assert_memory_equal(f->act.deploy_key.spki_sha256, next.spki_sha256, ROLLOVER_DIGEST_LEN);

	/* The fresh next key is published beside the others. */
	key_make(&next2, shape2, 2, 8, false);
	fx_obs(f, &s, &obs);
	s.res.seq = f->generate_seq;
	s.res.ok = true;
	obs.generate = &s.res;
	obs.generated = &next2;
	fx_run(f, &obs);
	fx_event(f, EV_PUBLISH_OK);
	fx_event(f, EV_DEPLOY_OK);
	assert_int_equal(f->st.phase, ROLLOVER_DEPLOYED);
	fx_event(f, EV_EPS_NEW);
	assert_int_equal(f->st.phase, ROLLOVER_VERIFIED);
	fx_event(f, EV_RETIRE);
	assert_int_equal(f->st.phase, ROLLOVER_RETIRED);
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &next));
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &next2));
	assert_true(recs_lack_key(shape2, 2, f->published, f->n_published, &f->cur));
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.phase, ROLLOVER_IDLE);
	free(f);
}

/* Current + next: the new key goes back to being the next key on abort. */
static void test_next_key_abort(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	struct fx_scratch s;
	struct rollover_obs obs;
	struct rollover_key next;

	(void)state;
	assert_non_null(f);
	fx_init(f, ROLLOVER_MODE_CURRENT_NEXT);
	key_make(&next, shape2, 2, 7, false);
	fx_obs(f, &s, &obs);
	s.res.seq = f->generate_seq;
	s.res.ok = true;
	obs.generate = &s.res;
	obs.generated = &next;
	fx_run(f, &obs);
	fx_event(f, EV_PUBLISH_OK);
	f->nw = next;
	f->nw.has_cert = true;
	fx_event(f, EV_STAGE);
	assert_true(f->st.new_from_next);
	fx_event(f, EV_ABORT);
	assert_int_equal(f->act.req_status, 0);
	assert_int_equal(f->st.phase, ROLLOVER_IDLE);
	assert_true(f->st.slots[ROLLOVER_SLOT_NEXT].set);
	assert_memory_equal(f->st.slots[ROLLOVER_SLOT_NEXT].key.spki_sha256, next.spki_sha256,
			    ROLLOVER_DIGEST_LEN);
	free(f);
}

/* A renewal with the same key: already out for long, so straight to propagated. */
static void test_same_key_skip(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	fx_init(f, ROLLOVER_MODE_REACTIVE);
	f->now += FX_WAIT;
	fx_event(f, EV_SERVE);
	f->nw = f->cur;
	fill(f->nw.cert_sha256, ROLLOVER_DIGEST_LEN, 99, 2);
	fx_event(f, EV_STAGE);
	assert_int_equal(f->st.phase, ROLLOVER_STAGED);
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.phase, ROLLOVER_PROPAGATED);
	assert_true(f->act.deploy);
	free(f);
}

/* Failures back off exponentially and raise ROLLOVER_FAILED at the limit; success clears it. */
static void test_retry_failed(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	int64_t gaps[3];
	int i;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_PROPAGATED);
	for (i = 0; i < 3; i++) {
		int64_t start;

		fx_event(f, EV_DEPLOY_FAIL);
		assert_int_equal(f->st.phase, ROLLOVER_PROPAGATED);
		start = f->now;
		assert_int_equal(f->act.failed_edge,
				 i == 2 ? ROLLOVER_EDGE_RAISE : ROLLOVER_EDGE_NONE);
		/* The old TLSA stays published. */
		assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur));
		while (!f->act.deploy) {
			f->now += 5;
			fx_event(f, EV_SERVE);
		}
		gaps[i] = f->now - start;
	}
	assert_true(gaps[1] > gaps[0] && gaps[2] > gaps[1]);
	assert_true(f->act.failed);
	assert_non_null(strstr(f->act.message, "deploy failed 3 times: prosodyctl"));
	fx_event(f, EV_DEPLOY_OK);
	assert_int_equal(f->st.phase, ROLLOVER_DEPLOYED);
	assert_int_equal(f->act.failed_edge, ROLLOVER_EDGE_CLEAR);
	free(f);
}

/* A phase held past its limit raises ROLLOVER_STALLED; moving on clears it. */
static void test_stalled(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	int edges = 0;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_DEPLOYED);
	f->cfg.stall_s[ROLLOVER_DEPLOYED] = 600;
	while (f->now < T0 + 10000) {
		f->now += 60;
		fx_event(f, EV_EPS_HALF);
		edges += f->act.stalled_edge == ROLLOVER_EDGE_RAISE;
	}
	assert_int_equal(edges, 1);
	assert_true(f->act.stalled);
	assert_non_null(strstr(f->act.message, "deployed for"));
	fx_event(f, EV_EPS_NEW);
	assert_int_equal(f->st.phase, ROLLOVER_VERIFIED);
	assert_int_equal(f->act.stalled_edge, ROLLOVER_EDGE_CLEAR);
	free(f);
}

/* Clock jumps never shorten the wait. */
static void test_clock_jumps(void **state)
{
	static const int64_t jumps[] = {86400 * 365, -86400, -30, 5000};
	size_t j;

	(void)state;
	for (j = 0; j < sizeof(jumps) / sizeof(jumps[0]); j++) {
		struct fx *f = malloc(sizeof(*f));
		int64_t real = 0;

		assert_non_null(f);
		fx_reach(f, ROLLOVER_PUBLISHED);
		fx_event(f, EV_SERVE);
		f->now += 30;
		real += 30;
		fx_event(f, EV_SERVE);
		f->now += jumps[j];
		fx_event(f, EV_SERVE);
		while (f->st.phase == ROLLOVER_PUBLISHED) {
			f->now += 10;
			real += 10;
			fx_event(f, EV_SERVE);
		}
		if (real < FX_WAIT) {
			fail_msg("jump %" PRId64 ": propagated after %" PRId64 " s", jumps[j],
				 real);
		}
		free(f);
	}
}

/* The state writes a text that parses back to the same text. */
static void assert_text_fixpoint(const struct rollover_state *st)
{
	char a[ROLLOVER_TEXT_MAX], b[ROLLOVER_TEXT_MAX];
	struct rollover_state back;

	assert_int_equal(rollover_to_text(st, a, sizeof(a)), 0);
	assert_int_equal(rollover_from_text(a, strlen(a), &back), 0);
	assert_int_equal(rollover_to_text(&back, b, sizeof(b)), 0);
	assert_string_equal(a, b);
}

/*
 * A stored state may hold any reading the parser takes: a clock far in the
 * past credits nothing, and held times and timers clamp instead of wrapping.
 */
static void test_clock_extremes(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	int64_t held;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_PUBLISHED);
	fx_event(f, EV_SERVE);
	held = f->st.held_s;
	f->st.last_now_s = INT64_MIN + 1;
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.held_s, held);
	assert_int_equal(f->st.last_now_s, f->now);
	assert_text_fixpoint(&f->st);

	fx_reach(f, ROLLOVER_IDLE);
	f->st.held_s = INT64_MAX - 5;
	f->st.ops[ROLLOVER_OP_DEPLOY].retry_left_s = INT64_MAX;
	fx_event(f, EV_TICK);
	assert_int_equal(f->st.held_s, INT64_MAX);
	assert_int_equal(f->act.wake_s, INT64_MAX);
	assert_text_fixpoint(&f->st);
	free(f);
}

/* Abort keeps a new key an endpoint presents (a deploy that failed half-way). */
static void test_abort_lingers(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_PROPAGATED);
	fx_event(f, EV_DEPLOY_FAIL);
	f->presents[0] = &f->nw;
	fx_event(f, EV_ABORT);
	assert_int_equal(f->act.req_status, 0);
	assert_int_equal(f->st.phase, ROLLOVER_IDLE);
	assert_true(f->st.slots[ROLLOVER_SLOT_LINGER].set);
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &f->nw));
	/* Once no endpoint presented it for a deploy timeout, it goes. */
	f->presents[0] = &f->cur;
	fx_event(f, EV_PUBLISH_OK);
	assert_true(f->st.slots[ROLLOVER_SLOT_LINGER].set);
	while (f->st.slots[ROLLOVER_SLOT_LINGER].set) {
		assert_true(f->now < T0 + 2 * f->cfg.deploy_timeout_s + 3 * FX_WAIT);
		f->now += 60;
		fx_event(f, EV_SERVE);
	}
	assert_true(f->act.publish);
	assert_true(recs_lack_key(shape2, 2, f->published, f->n_published, &f->nw));
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur));
	free(f);
}

/*
 * Verified: the old key's records come back when an endpoint presents it
 * again, and go only once every endpoint answers without it.
 */
static void test_verified_readd(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	struct rollover_rec frag[ROLLOVER_FRAGMENT_MAX];
	size_t n;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_VERIFIED);
	n = rollover_fragment(&f->st, frag);
	assert_true(recs_lack_key(shape2, 2, frag, n, &f->cur));
	fx_event(f, EV_EPS_HALF_ACKED);
	n = rollover_fragment(&f->st, frag);
	assert_true(recs_hold_key(shape2, 2, frag, n, &f->cur));
	/* Endpoint 1 does not answer: it may still present the old key. */
	fx_event(f, EV_EP_SILENT);
	n = rollover_fragment(&f->st, frag);
	assert_true(recs_hold_key(shape2, 2, frag, n, &f->cur));
	fx_event(f, EV_EPS_NEW);
	n = rollover_fragment(&f->st, frag);
	assert_true(recs_lack_key(shape2, 2, frag, n, &f->cur));
	free(f);
}

/* Servers that contradict the confirmed fragment for republish_s get it again. */
static void test_republish(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	int64_t start;

	(void)state;
	assert_non_null(f);
	fx_init(f, ROLLOVER_MODE_REACTIVE);
	f->cfg.republish_s = 600;
	/* Someone edited the zone: server 0 has no TLSA any more. */
	f->n_served[0] = 0;
	start = f->now;
	do {
		f->now += 50;
		fx_event(f, EV_TICK); /* and 10 s more */
	} while (!f->act.publish && f->now < start + 2 * f->cfg.republish_s);
	assert_true(f->act.publish);
	assert_true(f->now - start >= f->cfg.republish_s);
	assert_true(recs_hold_key(shape2, 2, f->published, f->n_published, &f->cur));
	free(f);
}

/*
 * New owners make the confirmed fragment out of date: it is published again,
 * and an answer to a publish issued before they changed confirms nothing.
 */
static void test_owners_republish(void **state)
{
	struct fx *f = malloc(sizeof(*f));

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_PUBLISHED);
	fx_event(f, EV_TICK);
	assert_false(f->act.publish);
	f->cfg.owners_hash = 0x1111;
	fx_event(f, EV_TICK);
	assert_true(f->act.publish);
	f->cfg.owners_hash = 0x2222; /* grew again while that publish ran */
	fx_event(f, EV_PUBLISH_OK);
	assert_true(f->act.publish);
	assert_int_equal(f->st.phase, ROLLOVER_PUBLISHED);
	fx_event(f, EV_PUBLISH_OK);
	fx_event(f, EV_TICK);
	assert_false(f->act.publish);
	free(f);
}

/* A stage that is not for this rollover is refused without a change. */
static void test_stage_refused(void **state)
{
	static const struct rollover_tlsa_type shape_cert[] = {{3, 0, 1}};
	struct rollover_config cfg;
	struct rollover_state st;
	struct rollover_actions act;
	struct rollover_obs obs;
	struct rollover_key cur, bare;

	(void)state;
	rollover_config_init(&cfg);
	key_make(&cur, shape_cert, 1, 1, true);
	key_make(&bare, shape_cert, 1, 2, false);
	assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, shape_cert, 1, &cur, T0, &st), 0);
	memset(&obs, 0, sizeof(obs));
	obs.stage = &bare;
	assert_int_equal(rollover_step(&st, &cfg, &obs, T0, &act), 0);
	assert_int_equal(act.req_status, -EINVAL);
	assert_int_equal(st.phase, ROLLOVER_IDLE);
	/* Not without a certificate in current + next mode, nor a whole certificate. */
	assert_int_equal(rollover_init(ROLLOVER_MODE_CURRENT_NEXT, shape_cert, 1, &cur, T0, &st),
			 ERR_UNSUPPORTED);
	{
		static const struct rollover_tlsa_type full[] = {{3, 1, 0}};
		static const struct rollover_tlsa_type dup[] = {{3, 1, 1}, {3, 1, 1}};
		static const struct rollover_tlsa_type bad[] = {{4, 1, 1}};

		assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, full, 1, &cur, T0, &st),
				 ERR_UNSUPPORTED);
		assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, dup, 2, &cur, T0, &st),
				 -EINVAL);
		assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, bad, 1, &cur, T0, &st),
				 -EINVAL);
		assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, shape2, 0, &cur, T0, &st),
				 -EINVAL);
	}
}

/* Text: every phase round-trips; resuming asks again for what was in flight. */
static void test_text_roundtrip(void **state)
{
	int p;

	(void)state;
	for (p = ROLLOVER_IDLE; p < ROLLOVER_PHASE_COUNT; p++) {
		struct fx *f = malloc(sizeof(*f));
		char a[ROLLOVER_TEXT_MAX], b[ROLLOVER_TEXT_MAX];
		struct rollover_state back;

		assert_non_null(f);
		fx_reach(f, (enum rollover_phase)p);
		assert_int_equal(rollover_to_text(&f->st, a, sizeof(a)), 0);
		assert_int_equal(rollover_from_text(a, strlen(a), &back), 0);
		assert_int_equal(rollover_to_text(&back, b, sizeof(b)), 0);
		assert_string_equal(a, b);
		assert_int_equal(back.phase, p);
		free(f);
	}
}

static void test_resume(void **state)
{
	struct fx *f = malloc(sizeof(*f));
	char text[ROLLOVER_TEXT_MAX];
	uint32_t old_seq;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_STAGED);
	assert_true(f->st.ops[ROLLOVER_OP_PUBLISH].inflight);
	old_seq = f->publish_seq;
	/* kill -9, restart from the stored state. */
	assert_int_equal(rollover_to_text(&f->st, text, sizeof(text)), 0);
	memset(&f->st, 0, sizeof(f->st));
	assert_int_equal(rollover_from_text(text, strlen(text), &f->st), 0);
	rollover_resume(&f->st);
	fx_event(f, EV_TICK);
	assert_true(f->act.publish);
	assert_true(f->publish_seq > old_seq);
	/* An answer to the earlier command changes nothing. */
	{
		struct fx_scratch s;
		struct rollover_obs obs;

		fx_obs(f, &s, &obs);
		s.res.seq = old_seq;
		s.res.ok = true;
		obs.publish = &s.res;
		fx_run(f, &obs);
		assert_int_equal(f->st.phase, ROLLOVER_STAGED);
	}
	fx_event(f, EV_PUBLISH_OK);
	assert_int_equal(f->st.phase, ROLLOVER_PUBLISHED);
	free(f);
}

/* The parser takes only what rollover_to_text writes. */
static void test_text_refused(void **state)
{
	static const struct {
		const char *from, *to; /* one replacement in a valid text; NULL: truncate */
	} rows[] = {
		{"xdane-rollover 1", "xdane-rollover 2"},
		{"phase staged", "phase sideways"},
		{"mode reactive", "mode proactive"},
		{"shape 3 1 1 3 1 2", "shape 3 1 1 3 1 1"},
		{"shape 3 1 1 3 1 2", "shape 3 1 0"},
		{"shape 3 1 1 3 1 2", "shape 3 1 1  3 1 2"},
		{"flags 0", "flags 2"},
		{"slot new", "slot cur"},
		{"slot new", "slot old"},
		{"op deploy", "op publish"},
		{"op generate", "op frobnicate"},
		{"\nslot new", "\nslot new x"},
		{"phase staged", "phase idle"}, /* idle with a new key */
		{NULL, NULL},
	};
	struct fx *f = malloc(sizeof(*f));
	char text[ROLLOVER_TEXT_MAX];
	struct rollover_state back;
	size_t i;

	(void)state;
	assert_non_null(f);
	fx_reach(f, ROLLOVER_STAGED);
	assert_int_equal(rollover_to_text(&f->st, text, sizeof(text)), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char bad[ROLLOVER_TEXT_MAX + 16];
		const char *at;

		if (rows[i].from == NULL) {
			memcpy(bad, text, strlen(text) - 1);
			bad[strlen(text) - 1] = '\0';
		} else {
			at = strstr(text, rows[i].from);
			assert_non_null(at);
			snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - text), text, rows[i].to,
				 at + strlen(rows[i].from));
		}
		if (rollover_from_text(bad, strlen(bad), &back) != ERR_PARSE) {
			fail_msg("row %zu parsed:\n%s", i, bad);
		}
	}
	/* Too small a buffer is a failure, not a cut state. */
	assert_int_equal(rollover_to_text(&f->st, text, 100), ERR_TOO_BIG);
	free(f);
}

/* The invariant checker itself, on hand-made worlds. */
static void test_invariant_checker(void **state)
{
	struct rollover_state st;
	struct rollover_key a, b;
	struct rollover_rec ra[2], rb[2], both[4], a311_b312[2];
	struct rollover_world_rrset hist[2];
	struct rollover_world_server server = {2, hist};
	const struct rollover_key *ep[1];
	char why[256];

	(void)state;
	key_make(&a, shape2, 2, 1, true);
	key_make(&b, shape2, 2, 2, true);
	assert_int_equal(rollover_init(ROLLOVER_MODE_REACTIVE, shape2, 2, &a, T0, &st), 0);
	key_recs(shape2, 2, &a, ra);
	key_recs(shape2, 2, &b, rb);
	memcpy(both, ra, sizeof(ra));
	memcpy(both + 2, rb, sizeof(rb));
	hist[0] = (struct rollover_world_rrset){0, 1000, 2, ra};
	hist[1] = (struct rollover_world_rrset){1000, INT64_MAX, 4, both};
	ep[0] = &a;
	assert_true(rollover_invariant_holds(&st, 1, &server, 1, ep, 1200, 360, why, sizeof(why)));
	/* b only since 1000: too early at 1200 with a 360 s hold, fine at 1360. */
	ep[0] = &b;
	assert_false(rollover_invariant_holds(&st, 1, &server, 1, ep, 1200, 360, why, sizeof(why)));
	assert_non_null(strstr(why, "endpoint 0"));
	assert_true(rollover_invariant_holds(&st, 1, &server, 1, ep, 1360, 360, why, sizeof(why)));
	/* a's 3 1 1 next to b's 3 1 2: peers use only 3 1 2, so a is not accepted. */
	a311_b312[0] = ra[0];
	a311_b312[1] = rb[1];
	hist[1] = (struct rollover_world_rrset){1000, INT64_MAX, 2, a311_b312};
	server.n_rrsets = 2;
	ep[0] = &a;
	assert_false(rollover_invariant_holds(&st, 1, &server, 1, ep, 5000, 360, why, sizeof(why)));
}

/* The property test */

#define W_SERVERS_MAX 3
#define W_EPS_MAX     3
#define W_HIST_MAX    64
#define W_KEYS_MAX    96
#define W_PENDING_MAX 8
#define W_TRACE_LINES 48
#define W_TRACE_LEN   200
#define W_STEPS	      200 /* steps with trouble, then calm */
#define W_CALM_STEPS  900 /* steps the rollover has to complete once calm */
/* Sanitizers (-O0) run ~10x slower: fewer runs there, the full count in the normal build. */
#ifdef __SANITIZE_ADDRESS__
#define W_RUNS 250
#else
#define W_RUNS 2000
#endif
#define W_MAX_STEP 600

enum w_cmd { W_PUBLISH, W_DEPLOY, W_GENERATE };

struct w_pending {
	bool on;
	enum w_cmd cmd;
	uint32_t seq;
	int64_t at; /* completes then */
	bool ok;
	bool deliver; /* false once the daemon that asked crashed */
	bool apply;   /* publish: the zone changes (even if it reports a failure) */
	size_t n_recs;
	struct rollover_rec recs[ROLLOVER_FRAGMENT_MAX];
	int key; /* deploy, generate */
};

struct w_server {
	size_t n_hist;
	struct rollover_world_rrset hist[W_HIST_MAX];
	struct rollover_rec recs[W_HIST_MAX][ROLLOVER_FRAGMENT_MAX];
	int64_t sync_at; /* -1: up to date with the primary */
};

struct w_endpoint {
	int key;
	int64_t switch_at; /* -1 none */
	int switch_to;
};

struct world {
	uint64_t rng;
	uint32_t seed;
	int64_t t, off;
	enum rollover_mode mode;
	size_t n_shape;
	struct rollover_tlsa_type shape[ROLLOVER_SHAPE_MAX];
	struct rollover_config cfg;
	struct rollover_state st;
	int64_t ttl, lag_max;
	struct rollover_key keys[W_KEYS_MAX];
	size_t n_keys;
	size_t n_primary;
	struct rollover_rec primary[ROLLOVER_FRAGMENT_MAX];
	size_t n_servers, n_eps;
	struct w_server servers[W_SERVERS_MAX];
	struct w_endpoint eps[W_EPS_MAX];
	struct w_pending pend[W_PENDING_MAX];
	struct w_pending done[W_PENDING_MAX]; /* completed, to report at the next step */
	size_t n_done;
	bool calm;
	int p_fail, p_silent, p_crash, p_jump; /* per mille */
	bool stalled, failed;
	/* Runs go untraced; a failing seed runs again traced (runs are deterministic). */
	bool tracing;
	jmp_buf again;
	char trace[W_TRACE_LINES][W_TRACE_LEN];
	size_t n_trace;
};

static uint64_t w_rand(struct world *w)
{
	/* splitmix64: deterministic for a seed on every platform. */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t w_range(struct world *w, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(w_rand(w) % (uint64_t)(hi - lo + 1));
}

static bool w_chance(struct world *w, int per_mille)
{
	return (int)(w_rand(w) % 1000) < per_mille;
}

static void w_trace(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void w_trace(struct world *w, const char *fmt, ...)
{
	char *line = w->trace[w->n_trace % W_TRACE_LINES];
	va_list ap;
	int n;

	if (!w->tracing) {
		return;
	}
	n = snprintf(line, W_TRACE_LEN, "t=%" PRId64 " %s: ", w->t,
		     rollover_phase_name(w->st.phase));
	va_start(ap, fmt);
	vsnprintf(line + n, W_TRACE_LEN - (size_t)n, fmt, ap);
	va_end(ap);
	w->n_trace++;
}

static void w_fail(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void w_fail(struct world *w, const char *fmt, ...)
{
	char msg[512], text[ROLLOVER_TEXT_MAX];
	size_t i, first = w->n_trace > W_TRACE_LINES ? w->n_trace - W_TRACE_LINES : 0;
	va_list ap;

	if (!w->tracing) {
		longjmp(w->again, 1);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_message("rollover property failed: seed %" PRIu32 " (replay: ROLLOVER_SEED=%" PRIu32
		      "), mode %s, %zu servers, %zu endpoints, ttl %" PRId64 ", last steps:\n",
		      w->seed, w->seed, w->mode == ROLLOVER_MODE_REACTIVE ? "reactive" : "next",
		      w->n_servers, w->n_eps, w->ttl);
	for (i = first; i < w->n_trace; i++) {
		print_message("  %s\n", w->trace[i % W_TRACE_LINES]);
	}
	if (rollover_to_text(&w->st, text, sizeof(text)) == 0) {
		print_message("state:\n%s", text);
	}
	print_message("world: primary %zu records;", w->n_primary);
	for (i = 0; i < w->n_servers; i++) {
		print_message(" server %zu: %zu RRsets, %zu records now, sync at %" PRId64 ";", i,
			      w->servers[i].n_hist,
			      w->servers[i].hist[w->servers[i].n_hist - 1].n_recs,
			      w->servers[i].sync_at);
	}
	for (i = 0; i < w->n_eps; i++) {
		print_message(" endpoint %zu: key %d;", i, w->eps[i].key);
	}
	print_message("\n");
	fail_msg("seed %" PRIu32 ": %s", w->seed, msg);
}

static int w_new_key(struct world *w)
{
	int k = (int)w->n_keys;

	if (w->n_keys >= W_KEYS_MAX) {
		w_fail(w, "world out of keys");
	}
	key_make(&w->keys[k], w->shape, w->n_shape, w->seed * 1000U + (uint32_t)k, true);
	w->n_keys++;
	return k;
}

static int w_key_of(struct world *w, const uint8_t *spki)
{
	size_t i;

	for (i = 0; i < w->n_keys; i++) {
		if (memcmp(w->keys[i].spki_sha256, spki, ROLLOVER_DIGEST_LEN) == 0) {
			return (int)i;
		}
	}
	w_fail(w, "the engine named a key the world does not know");
	return -1;
}

static struct rollover_world_rrset *w_current(struct w_server *s)
{
	return &s->hist[s->n_hist - 1];
}

/* A server loads what the primary has now. */
static void w_sync(struct world *w, struct w_server *s)
{
	struct rollover_world_rrset *cur = w_current(s);
	size_t i;

	s->sync_at = -1;
	if (cur->n_recs == w->n_primary &&
	    memcmp(cur->recs, w->primary, w->n_primary * sizeof(w->primary[0])) == 0) {
		return;
	}
	if (s->n_hist == W_HIST_MAX) {
		/* Forget the oldest RRsets nobody can hold any more. */
		for (i = 0; i + 1 < s->n_hist && s->hist[0].until_s < w->t - 100000; i++) {
			memmove(&s->hist[0], &s->hist[1], (s->n_hist - 1) * sizeof(s->hist[0]));
			memmove(&s->recs[0], &s->recs[1], (s->n_hist - 1) * sizeof(s->recs[0]));
			s->n_hist--;
		}
		for (i = 0; i < s->n_hist; i++) {
			s->hist[i].recs = s->recs[i];
		}
		if (s->n_hist == W_HIST_MAX) {
			w_fail(w, "server history full");
		}
		cur = w_current(s);
	}
	cur->until_s = w->t;
	memcpy(s->recs[s->n_hist], w->primary, sizeof(w->primary));
	s->hist[s->n_hist] = (struct rollover_world_rrset){w->t, INT64_MAX, w->n_primary,
							   s->recs[s->n_hist]};
	s->n_hist++;
}

static void w_primary_set(struct world *w, const struct rollover_rec *recs, size_t n)
{
	size_t i;

	memcpy(w->primary, recs, n * sizeof(recs[0]));
	w->n_primary = n;
	for (i = 0; i < w->n_servers; i++) {
		if (w->servers[i].sync_at < 0) {
			w->servers[i].sync_at = w->t + w_range(w, 0, w->lag_max);
		}
	}
}

static void w_deploy_effect(struct world *w, const struct w_pending *p, int64_t started)
{
	size_t i;

	for (i = 0; i < w->n_eps; i++) {
		/*
		 * A failed deploy may have reached some servers before it
		 * failed; a good one may take a while to reach all.
		 */
		if (p->ok || w_chance(w, 400)) {
			w->eps[i].switch_at = started +
					      w_range(w, 0, p->at - started + (p->ok ? 40 : 0));
			w->eps[i].switch_to = p->key;
		}
	}
}

/* The next time something is due in the world, or INT64_MAX. */
static int64_t w_next_event(const struct world *w)
{
	int64_t next = INT64_MAX;
	size_t i;

	for (i = 0; i < W_PENDING_MAX; i++) {
		if (w->pend[i].on && w->pend[i].at < next) {
			next = w->pend[i].at;
		}
	}
	for (i = 0; i < w->n_servers; i++) {
		if (w->servers[i].sync_at >= 0 && w->servers[i].sync_at < next) {
			next = w->servers[i].sync_at;
		}
	}
	for (i = 0; i < w->n_eps; i++) {
		if (w->eps[i].switch_at >= 0 && w->eps[i].switch_at < next) {
			next = w->eps[i].switch_at;
		}
	}
	return next;
}

/* The world at time t: whatever is due happens. */
static void w_events(struct world *w)
{
	size_t i;

	for (i = 0; i < W_PENDING_MAX; i++) {
		struct w_pending *p = &w->pend[i];

		if (!p->on || p->at > w->t) {
			continue;
		}
		p->on = false;
		if (p->cmd == W_PUBLISH && p->apply) {
			w_primary_set(w, p->recs, p->n_recs);
		}
		if (p->deliver && w->n_done < W_PENDING_MAX) {
			w->done[w->n_done++] = *p;
		}
	}
	for (i = 0; i < w->n_servers; i++) {
		if (w->servers[i].sync_at >= 0 && w->servers[i].sync_at <= w->t) {
			w_sync(w, &w->servers[i]);
		}
	}
	for (i = 0; i < w->n_eps; i++) {
		if (w->eps[i].switch_at >= 0 && w->eps[i].switch_at <= w->t) {
			if (w->eps[i].key != w->eps[i].switch_to) {
				w_trace(w, "endpoint %zu now presents key %d", i,
					w->eps[i].switch_to);
			}
			w->eps[i].key = w->eps[i].switch_to;
			w->eps[i].switch_at = -1;
		}
	}
}

static void w_check_invariant(struct world *w)
{
	struct rollover_world_server servers[W_SERVERS_MAX];
	const struct rollover_key *eps[W_EPS_MAX];
	char why[256];
	size_t i;

	for (i = 0; i < w->n_servers; i++) {
		servers[i].n_rrsets = w->servers[i].n_hist;
		servers[i].rrsets = w->servers[i].hist;
	}
	for (i = 0; i < w->n_eps; i++) {
		eps[i] = &w->keys[w->eps[i].key];
	}
	if (!rollover_invariant_holds(&w->st, w->n_servers, servers, w->n_eps, eps, w->t,
				      w->ttl + w->cfg.safety_margin_s, why, sizeof(why))) {
		w_fail(w, "invariant: %s", why);
	}
}

static struct w_pending *w_pend_slot(struct world *w)
{
	size_t i;

	for (i = 0; i < W_PENDING_MAX; i++) {
		if (!w->pend[i].on) {
			return &w->pend[i];
		}
	}
	w_fail(w, "too many commands in flight");
	return NULL;
}

/* The fragment obeys RFC 7671 §9: every key in it is there in every type of the shape. */
static void w_check_fragment(struct world *w, const struct rollover_actions *a)
{
	size_t i, j, count[ROLLOVER_SHAPE_MAX] = {0};

	for (i = 0; i < a->n_recs; i++) {
		bool known = false;

		for (j = 0; j < w->n_shape; j++) {
			if (a->recs[i].usage == w->shape[j].usage &&
			    a->recs[i].selector == w->shape[j].selector &&
			    a->recs[i].mtype == w->shape[j].mtype) {
				count[j]++;
				known = true;
			}
		}
		if (!known) {
			w_fail(w, "a published record outside the shape");
		}
	}
	for (j = 1; j < w->n_shape; j++) {
		if (count[j] != count[0]) {
			w_fail(w, "a key is published in only some matching types");
		}
	}
}

static void w_perform(struct world *w, const struct rollover_actions *a)
{
	struct w_pending *p;

	if (a->transitioned) {
		w_trace(w, "-> %s", rollover_phase_name(a->to));
	}
	if (a->publish) {
		w_check_fragment(w, a);
		p = w_pend_slot(w);
		memset(p, 0, sizeof(*p));
		p->on = p->deliver = true;
		p->cmd = W_PUBLISH;
		p->seq = a->publish_seq;
		p->at = w->t + w_range(w, 0, 20);
		p->ok = w->calm || !w_chance(w, w->p_fail);
		p->apply = p->ok || w_chance(w, 300);
		p->n_recs = a->n_recs;
		memcpy(p->recs, a->recs, sizeof(a->recs));
		w_trace(w, "publish #%" PRIu32 " of %zu records: %s%s", p->seq, p->n_recs,
			p->ok ? "ok" : "fails", p->apply ? "" : ", not applied");
	}
	if (a->deploy) {
		p = w_pend_slot(w);
		memset(p, 0, sizeof(*p));
		p->on = p->deliver = true;
		p->cmd = W_DEPLOY;
		p->seq = a->deploy_seq;
		p->at = w->t + w_range(w, 0, 30);
		p->ok = w->calm || !w_chance(w, w->p_fail);
		p->key = w_key_of(w, a->deploy_key.spki_sha256);
		w_deploy_effect(w, p, w->t);
		w_trace(w, "deploy #%" PRIu32 " of key %d: %s", p->seq, p->key,
			p->ok ? "ok" : "fails");
	}
	if (a->generate) {
		p = w_pend_slot(w);
		memset(p, 0, sizeof(*p));
		p->on = p->deliver = true;
		p->cmd = W_GENERATE;
		p->seq = a->generate_seq;
		p->at = w->t + w_range(w, 0, 5);
		p->ok = w->calm || !w_chance(w, w->p_fail);
		p->key = p->ok ? w_new_key(w) : -1;
		w_trace(w, "generate #%" PRIu32 ": %s", p->seq, p->ok ? "ok" : "fails");
	}
	/* Findings change by edges that match their level. */
	if ((a->stalled_edge == ROLLOVER_EDGE_RAISE && (w->stalled || !a->stalled)) ||
	    (a->stalled_edge == ROLLOVER_EDGE_CLEAR && (!w->stalled || a->stalled)) ||
	    (a->stalled_edge == ROLLOVER_EDGE_NONE && w->stalled != a->stalled) ||
	    (a->failed_edge == ROLLOVER_EDGE_RAISE && (w->failed || !a->failed)) ||
	    (a->failed_edge == ROLLOVER_EDGE_CLEAR && (!w->failed || a->failed)) ||
	    (a->failed_edge == ROLLOVER_EDGE_NONE && w->failed != a->failed)) {
		w_fail(w, "a finding edge does not match its level");
	}
	if (a->stalled_edge != ROLLOVER_EDGE_NONE || a->failed_edge != ROLLOVER_EDGE_NONE) {
		w_trace(w, "findings: stalled %d failed %d (%s)", a->stalled, a->failed,
			a->message);
	}
	w->stalled = a->stalled;
	w->failed = a->failed;
}

/* What the operator does: stage a key (the next one, mostly, in current + next mode). */
static void w_operator(struct world *w, struct rollover_obs *obs, struct rollover_key *stage)
{
	const struct rollover_slot_state *next = &w->st.slots[ROLLOVER_SLOT_NEXT];
	int k;

	if (w_chance(w, 10)) {
		obs->abort = true;
		w_trace(w, "operator aborts");
		return;
	}
	if (w->st.phase != ROLLOVER_IDLE && !w_chance(w, 5)) {
		return;
	}
	if (w->st.phase == ROLLOVER_IDLE && !w_chance(w, 40)) {
		return;
	}
	if (next->set && w_chance(w, 700)) {
		k = w_key_of(w, next->key.spki_sha256);
	} else if (w_chance(w, 50)) {
		k = w_key_of(w, w->st.slots[ROLLOVER_SLOT_CUR].key.spki_sha256);
	} else {
		k = w_new_key(w);
	}
	*stage = w->keys[k];
	obs->stage = stage;
	w_trace(w, "operator stages key %d", k);
}

struct w_obs_bufs {
	struct rollover_server_obs servers[W_SERVERS_MAX];
	struct rollover_endpoint_obs eps[W_EPS_MAX];
	struct rollover_result res[3];
	struct rollover_key generated;
	struct rollover_key stage;
};

static void w_observe(struct world *w, struct w_obs_bufs *b, struct rollover_obs *obs)
{
	size_t i;

	memset(obs, 0, sizeof(*obs));
	obs->dns_known = w->calm || !w_chance(w, 100);
	obs->n_servers = w->n_servers;
	obs->servers = b->servers;
	obs->rrset_ttl_s = w->ttl;
	obs->negative_ttl_s = -1;
	for (i = 0; i < w->n_servers; i++) {
		const struct rollover_world_rrset *cur = w_current(&w->servers[i]);

		b->servers[i].answered = w->calm || !w_chance(w, w->p_silent);
		b->servers[i].n_recs = cur->n_recs;
		b->servers[i].recs = cur->recs;
	}
	obs->endpoints_known = w->calm || !w_chance(w, 100);
	obs->n_endpoints = w->n_eps;
	obs->endpoints = b->eps;
	for (i = 0; i < w->n_eps; i++) {
		const struct rollover_key *k = &w->keys[w->eps[i].key];
		const struct rollover_world_rrset *rs = w_current(&w->servers[0]);

		b->eps[i].answered = w->calm || !w_chance(w, w->p_silent);
		memcpy(b->eps[i].spki_sha256, k->spki_sha256, ROLLOVER_DIGEST_LEN);
		memcpy(b->eps[i].cert_sha256, k->cert_sha256, ROLLOVER_DIGEST_LEN);
		b->eps[i].dane_ok = recs_hold_key(w->shape, w->n_shape, rs->recs, rs->n_recs, k);
	}
	/* Results of commands that completed since the last step. */
	for (i = 0; i < w->n_done; i++) {
		const struct w_pending *p = &w->done[i];
		struct rollover_result *r = &b->res[p->cmd];

		r->seq = p->seq;
		r->ok = p->ok;
		r->error = "simulated failure";
		if (p->cmd == W_PUBLISH) {
			obs->publish = r;
		} else if (p->cmd == W_DEPLOY) {
			obs->deploy = r;
		} else {
			obs->generate = r;
			if (p->ok) {
				b->generated = w->keys[p->key];
				b->generated.has_cert = false;
				obs->generated = &b->generated;
			}
		}
	}
	w->n_done = 0;
}

static void w_crash(struct world *w)
{
	char text[ROLLOVER_TEXT_MAX], again[ROLLOVER_TEXT_MAX];
	struct rollover_state back;
	size_t i;

	if (rollover_to_text(&w->st, text, sizeof(text)) != 0 ||
	    rollover_from_text(text, strlen(text), &back) != 0 ||
	    rollover_to_text(&back, again, sizeof(again)) != 0 || strcmp(text, again) != 0) {
		w_fail(w, "the state does not survive a restart:\n%s", text);
	}
	rollover_resume(&back);
	w->st = back;
	/* Commands keep running, but nobody hears their results. */
	for (i = 0; i < W_PENDING_MAX; i++) {
		w->pend[i].deliver = false;
	}
	w->n_done = 0;
	w_trace(w, "crash and restart");
}

static void w_clock_jump(struct world *w)
{
	int64_t before = w->off;

	if (w_chance(w, 500)) {
		w->off -= w_range(w, 1, 1000000);
	} else if (w->off < -W_MAX_STEP && w_chance(w, 500)) {
		w->off = 0; /* corrected: a leap forward */
	} else {
		/* Forward jumps within max_step cannot be told from time passing (rollover.h). */
		w->off += w_range(w, W_MAX_STEP + 1, 1000000);
	}
	w_trace(w, "clock jumps by %" PRId64, w->off - before);
}

static void w_setup(struct world *w, uint32_t seed)
{
	static const struct rollover_tlsa_type shapes[][ROLLOVER_SHAPE_MAX] = {
		{{3, 1, 1}},
		{{3, 1, 1}, {3, 1, 2}},
		{{3, 1, 2}, {2, 1, 1}},
		{{3, 1, 1}, {3, 0, 1}},
	};
	static const size_t shape_len[] = {1, 2, 2, 2};
	struct rollover_rec recs[ROLLOVER_SHAPE_MAX];
	size_t i, which;

	jmp_buf again;

	memcpy(again, w->again, sizeof(again));
	memset(w, 0, sizeof(*w));
	memcpy(w->again, again, sizeof(again));
	w->seed = seed;
	w->rng = seed;
	w->t = T0;
	w->mode = w_chance(w, 500) ? ROLLOVER_MODE_CURRENT_NEXT : ROLLOVER_MODE_REACTIVE;
	which = (size_t)w_range(w, 0, w->mode == ROLLOVER_MODE_CURRENT_NEXT ? 2 : 3);
	w->n_shape = shape_len[which];
	memcpy(w->shape, shapes[which], sizeof(w->shape));
	w->ttl = w_range(w, 30, 600);
	w->lag_max = w_range(w, 0, 300);
	w->n_servers = (size_t)w_range(w, 1, W_SERVERS_MAX);
	w->n_eps = (size_t)w_range(w, 1, W_EPS_MAX);
	w->p_fail = (int)w_range(w, 0, 400);
	w->p_silent = (int)w_range(w, 0, 300);
	w->p_crash = (int)w_range(w, 0, 50);
	w->p_jump = (int)w_range(w, 0, 30);
	rollover_config_init(&w->cfg);
	w->cfg.ttl_s = w->ttl;
	w->cfg.safety_margin_s = w_range(w, 0, 120);
	w->cfg.min_wait_s = w_range(w, 0, 1) ? w_range(w, 0, 900) : 0;
	w->cfg.max_step_s = W_MAX_STEP;
	/* Deploys here end within 30 s and reach the last endpoint 40 s later. */
	w->cfg.deploy_timeout_s = 120;
	w->cfg.republish_s = 400; /* servers follow within lag_max, 300 s at most */
	w->cfg.retry_limit = (uint32_t)w_range(w, 1, 4);
	w->cfg.backoff_base_s = w_range(w, 1, 30);
	w->cfg.backoff_max_s = w_range(w, 30, 300);
	for (i = ROLLOVER_STAGED; i < ROLLOVER_PHASE_COUNT; i++) {
		w->cfg.stall_s[i] = w_range(w, 0, 1) ? w_range(w, 60, 3600) : 0;
	}
	w_new_key(w);
	if (rollover_init(w->mode, w->shape, w->n_shape, &w->keys[0], w->t, &w->st) != 0) {
		w_fail(w, "init refused");
	}
	/* The zone serves the current key since long before. */
	key_recs(w->shape, w->n_shape, &w->keys[0], recs);
	memcpy(w->primary, recs, w->n_shape * sizeof(recs[0]));
	w->n_primary = w->n_shape;
	for (i = 0; i < w->n_servers; i++) {
		struct w_server *s = &w->servers[i];

		memcpy(s->recs[0], w->primary, sizeof(w->primary));
		s->hist[0] = (struct rollover_world_rrset){T0 - 1000000, INT64_MAX, w->n_primary,
							   s->recs[0]};
		s->n_hist = 1;
		s->sync_at = -1;
	}
	for (i = 0; i < w->n_eps; i++) {
		w->eps[i].switch_at = -1;
	}
}

/* Done: idle on the target key, its records (and the next key's) alone on every server. */
static bool w_complete(struct world *w, int target)
{
	struct rollover_rec frag[ROLLOVER_FRAGMENT_MAX];
	size_t i, n, want = w->n_shape;

	if (w->st.phase != ROLLOVER_IDLE ||
	    memcmp(w->st.slots[ROLLOVER_SLOT_CUR].key.spki_sha256, w->keys[target].spki_sha256,
		   ROLLOVER_DIGEST_LEN) != 0) {
		return false;
	}
	if (w->mode == ROLLOVER_MODE_CURRENT_NEXT) {
		if (!w->st.slots[ROLLOVER_SLOT_NEXT].set) {
			return false;
		}
		want += w->n_shape;
	}
	n = rollover_fragment(&w->st, frag);
	if (n != want || !recs_hold_key(w->shape, w->n_shape, frag, n, &w->keys[target])) {
		return false;
	}
	for (i = 0; i < w->n_servers; i++) {
		const struct rollover_world_rrset *rs = w_current(&w->servers[i]);

		if (rs->n_recs != n || memcmp(rs->recs, frag, n * sizeof(frag[0])) != 0) {
			return false;
		}
	}
	for (i = 0; i < w->n_eps; i++) {
		if (w->eps[i].key != target) {
			return false;
		}
	}
	return true;
}

/* The world changed in this second: the invariant can only break then. */
static bool w_changed(const struct world *w, const size_t *hist_before, const int *eps_before)
{
	size_t i;

	for (i = 0; i < w->n_servers; i++) {
		if (w->servers[i].n_hist != hist_before[i]) {
			return true;
		}
	}
	for (i = 0; i < w->n_eps; i++) {
		if (w->eps[i].key != eps_before[i]) {
			return true;
		}
	}
	return false;
}

static void w_run(struct world *w, uint32_t seed, bool tracing)
{
	int target = -1, step;

	w_setup(w, seed);
	w->tracing = tracing;
	for (step = 0; step < W_STEPS + W_CALM_STEPS; step++) {
		struct w_obs_bufs b;
		struct rollover_obs obs;
		struct rollover_actions a;
		int64_t dt = w_range(w, 1, 30), end;

		if (step == W_STEPS) {
			w->calm = true;
			w_trace(w, "calm from here");
		}
		/* Second by second, skipping those where nothing is due. */
		for (end = w->t + dt; w->t < end;) {
			size_t hist[W_SERVERS_MAX], k;
			int eps[W_EPS_MAX];
			int64_t next = w_next_event(w);

			if (next > end) {
				w->t = end;
				break;
			}
			w->t = next > w->t ? next : w->t + 1;
			for (k = 0; k < w->n_servers; k++) {
				hist[k] = w->servers[k].n_hist;
			}
			for (k = 0; k < w->n_eps; k++) {
				eps[k] = w->eps[k].key;
			}
			w_events(w);
			if (w_changed(w, hist, eps)) {
				w_check_invariant(w);
			}
		}
		if (!w->calm && w_chance(w, w->p_crash)) {
			w_crash(w);
		}
		if (!w->calm && w_chance(w, w->p_jump)) {
			w_clock_jump(w);
		}
		w_observe(w, &b, &obs);
		if (!w->calm) {
			w_operator(w, &obs, &b.stage);
		} else if (target < 0 && w->st.phase != ROLLOVER_IDLE) {
			target = w_key_of(w, w->st.slots[ROLLOVER_SLOT_NEW].key.spki_sha256);
			w_trace(w, "target: the key in flight, %d", target);
		} else if (target < 0 && (w->mode == ROLLOVER_MODE_REACTIVE ||
					  w->st.slots[ROLLOVER_SLOT_NEXT].set)) {
			target = w->mode == ROLLOVER_MODE_REACTIVE
					 ? w_new_key(w)
					 : w_key_of(
						   w,
						   w->st.slots[ROLLOVER_SLOT_NEXT].key.spki_sha256);
			b.stage = w->keys[target];
			obs.stage = &b.stage;
			w_trace(w, "target: stage key %d", target);
		}
		if (rollover_step(&w->st, &w->cfg, &obs, w->t + w->off, &a) != 0) {
			w_fail(w, "rollover_step failed");
		}
		if (obs.stage != NULL || obs.abort) {
			w_trace(w, "request: %d %s", a.req_status, a.req_message);
		}
		if (w->calm && obs.stage != NULL && a.req_status != 0) {
			w_fail(w, "the calm stage was refused: %s", a.req_message);
		}
		w_perform(w, &a);
		w_check_invariant(w);
		if (target >= 0 && w_complete(w, target)) {
			return;
		}
	}
	w_fail(w, "no completion %d steps after the world calmed down", W_CALM_STEPS);
}

static void test_property(void **state)
{
	struct world *w = malloc(sizeof(*w));
	const char *one = getenv("ROLLOVER_SEED");
	uint32_t seed, first = 1, last = W_RUNS;

	(void)state;
	assert_non_null(w);
	if (one != NULL) {
		first = last = (uint32_t)strtoul(one, NULL, 10);
	} else if (getenv("ROLLOVER_RUNS") != NULL) {
		last = (uint32_t)strtoul(getenv("ROLLOVER_RUNS"), NULL, 10); /* a longer soak */
	}
	for (seed = first; seed <= last; seed++) {
		if (setjmp(w->again) != 0) {
			w_run(w, seed, true); /* fails again, with the trace */
			fail_msg("seed %" PRIu32 " failed once, then passed", seed);
		}
		w_run(w, seed, one != NULL);
		if (one != NULL) {
			size_t i;

			for (i = w->n_trace > W_TRACE_LINES ? w->n_trace - W_TRACE_LINES : 0;
			     i < w->n_trace; i++) {
				print_message("  %s\n", w->trace[i % W_TRACE_LINES]);
			}
		}
	}
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_full_reactive),
		cmocka_unit_test(test_agility),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_wait_ttl),
		cmocka_unit_test(test_next_key_no_wait),
		cmocka_unit_test(test_next_key_abort),
		cmocka_unit_test(test_same_key_skip),
		cmocka_unit_test(test_retry_failed),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_clock_jumps),
		/* Clock readings at the limits a stored state may hold. */
		cmocka_unit_test(test_clock_extremes),
		cmocka_unit_test(test_abort_lingers),
		cmocka_unit_test(test_verified_readd),
		cmocka_unit_test(test_republish),
		cmocka_unit_test(test_owners_republish),
		cmocka_unit_test(test_stage_refused),
		cmocka_unit_test(test_text_roundtrip),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_text_refused),
		cmocka_unit_test(test_invariant_checker),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
