/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the rollover engine's stored state. A text that parses
 * must write back, and what it writes must parse to the same text again; one
 * step with no news on the parsed state must keep that so.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/rollover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed clock for the step: a stored state may hold any reading. */
#define FUZZ_NOW_S ((int64_t)1795000000)

/* Whether st writes a text that parses to a state writing the same text. */
static int fuzz_fixpoint(const struct rollover_state *st, char *a, char *b)
{
	struct rollover_state back;

	if (rollover_to_text(st, a, ROLLOVER_TEXT_MAX) != 0 ||
	    memchr(a, '\0', ROLLOVER_TEXT_MAX) == NULL) {
		return 0;
	}
	if (rollover_from_text(a, strlen(a), &back) != 0 ||
	    rollover_to_text(&back, b, ROLLOVER_TEXT_MAX) != 0) {
		return 0;
	}
	return strcmp(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char a[ROLLOVER_TEXT_MAX], b[ROLLOVER_TEXT_MAX];
	struct rollover_state st;
	struct rollover_config cfg;
	struct rollover_actions act;

	if (rollover_from_text((const char *)data, size, &st) != 0) {
		return 0;
	}
	if (!fuzz_fixpoint(&st, a, b)) {
		abort();
	}
	/* A restarted daemon steps the stored state before any news has come. */
	rollover_config_init(&cfg);
	if (rollover_step(&st, &cfg, NULL, FUZZ_NOW_S, &act) != 0 ||
	    act.n_recs > ROLLOVER_FRAGMENT_MAX ||
	    memchr(act.message, '\0', sizeof(act.message)) == NULL ||
	    memchr(act.req_message, '\0', sizeof(act.req_message)) == NULL ||
	    !fuzz_fixpoint(&st, a, b)) {
		abort();
	}
	return 0;
}
