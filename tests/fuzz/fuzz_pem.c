/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the PEM/DER readers of certificates and keys, and the
 * description of whatever certificate they accept (as `xdane cert` runs it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "certs/cert.h"
#include "certs/pkey.h"
#include "checks/certview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certview view;
	struct cert *c = NULL;
	struct pkey *k = NULL;
	char *json = NULL;

	if (size > CERT_FILE_MAX) {
		return 0;
	}
	if (cert_parse(data, size, &c) == 0) {
		if (certview_build(c, &view) == 0) {
			if (certview_json(&view, &json) == 0) {
				free(json);
			}
			certview_release(&view);
		}
		cert_free(c);
	}
	if (pkey_parse(data, size, &k) == 0) {
		pkey_free(k);
	}
	return 0;
}
