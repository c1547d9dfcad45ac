/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failure codes: a failure is a negative int, either -errno or one of the
 * project codes below (STYLE.md "Errors"). Verdicts are never errors.
 */
#ifndef XDANE_COMMON_ERR_H
#define XDANE_COMMON_ERR_H

/* Project codes start below every errno value so the two never collide. */
#define ERR_BASE 4096

/* X-macro: one table for the code, its name and its message. */
#define ERR_TABLE(X)                                                   \
	X(ERR_PARSE, "malformed input")                                \
	X(ERR_NOT_PEM, "neither PEM nor DER")                          \
	X(ERR_NO_CERT, "no certificate in the file")                   \
	X(ERR_IS_KEY, "holds a private key, not a certificate")        \
	X(ERR_NO_KEY, "no public or private key in the file")          \
	X(ERR_IS_CERT, "holds a certificate, not a key")               \
	X(ERR_ENCRYPTED_KEY, "the private key is encrypted")           \
	X(ERR_TOO_BIG, "input exceeds the size limit")                 \
	X(ERR_TRAILING, "trailing data after the DER object")          \
	X(ERR_UNSUPPORTED, "unsupported parameter")                    \
	X(ERR_NO_KSK, "no key-signing key (DNSKEY with the SEP flag)") \
	X(ERR_CRYPTO, "cryptographic library failure")                 \
	X(ERR_DNS, "DNS library failure")                              \
	X(ERR_NOT_FOUND, "no such entry")                              \
	X(ERR_STATEDB, "state database failure")

enum err_index {
#define ERR_INDEX_(name, msg) name##_INDEX,
	ERR_TABLE(ERR_INDEX_)
#undef ERR_INDEX_
		ERR_COUNT
};

enum err_code {
#define ERR_CODE_(name, msg) name = -(ERR_BASE + name##_INDEX),
	ERR_TABLE(ERR_CODE_)
#undef ERR_CODE_
};

/* Message for a negative code (project code or -errno); never NULL. */
const char *err_str(int code);

#endif
