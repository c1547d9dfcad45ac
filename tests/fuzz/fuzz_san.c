/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: subjectAltName GeneralNames DER from a hostile certificate. */
#include <stddef.h>
#include <stdint.h>

#include "certs/san.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct san_ids ids;

	if (san_decode(data, size, &ids) == 0) {
		san_ids_release(&ids);
	}
	return 0;
}
