/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for certs/keygen: every key type, the 0600 file and the refusal
 * of loose modes and shared directories, the CSR (parsed and verified with
 * OpenSSL in-process), and TLSA data equal to what certs/tlsa computes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/keygen.h"
#include "certs/pkey.h"
#include "certs/rollover.h"
#include "certs/tlsa.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fileio.h"

struct tmpdir {
	char path[64];
	char file[128];
};

static int tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->path, sizeof(t->path), "/tmp/xdane-keygen-XXXXXX");
	assert_non_null(mkdtemp(t->path));
	snprintf(t->file, sizeof(t->file), "%s/next.key", t->path);
	*state = t;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;

	unlink(t->file);
	chmod(t->path, 0700);
	rmdir(t->path);
	free(t);
	return 0;
}

static void test_type_parse(void **state)
{
	enum keygen_type t;

	(void)state;
	assert_int_equal(keygen_type_parse("ec-p256", &t), 0);
	assert_int_equal(t, KEYGEN_EC_P256);
	assert_int_equal(keygen_type_parse("rsa2048", &t), 0);
	assert_int_equal(t, KEYGEN_RSA_2048);
	assert_int_equal(keygen_type_parse("rsa3072", &t), 0);
	assert_int_equal(t, KEYGEN_RSA_3072);
	assert_int_equal(keygen_type_parse("dsa", &t), -EINVAL);
}

/* The PEM on disk, decoded by OpenSSL itself: the type and size we asked for. */
static void check_file_key(const char *path, int want_id, int want_bits)
{
	struct buf b;
	BIO *bio;
	EVP_PKEY *evp;

	assert_int_equal(fileio_read(path, PKEY_FILE_MAX, &b), 0);
	assert_non_null(strstr((const char *)b.data, "-----BEGIN PRIVATE KEY-----"));
	bio = BIO_new_mem_buf(b.data, (int)b.len);
	evp = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(evp);
	assert_int_equal(EVP_PKEY_get_id(evp), want_id);
	assert_int_equal(EVP_PKEY_get_bits(evp), want_bits);
	EVP_PKEY_free(evp);
	BIO_free(bio);
	buf_release(&b);
}

static void assert_same_tlsa(const struct keygen_key *k, const struct pkey *pub, unsigned mtype)
{
	struct tlsa_record a, b;

	assert_int_equal(keygen_tlsa(k, 3, 1, mtype, &a), 0);
	assert_int_equal(tlsa_from_pkey(pub, 3, 1, mtype, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	tlsa_record_release(&a);
	tlsa_record_release(&b);
}

static void test_generate_write_load(void **state)
{
	static const struct {
		enum keygen_type type;
		int id;
		int bits;
	} cases[] = {
		{KEYGEN_EC_P256, EVP_PKEY_EC, 256},
		{KEYGEN_RSA_2048, EVP_PKEY_RSA, 2048},
		{KEYGEN_RSA_3072, EVP_PKEY_RSA, 3072},
	};
	struct tmpdir *t = *state;
	struct keygen_error err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct keygen_key *k, *again;
		struct pkey *pub;
		struct stat st;

		assert_int_equal(keygen_generate(cases[i].type, &k), 0);
		assert_int_equal(keygen_write(k, t->file, &err), 0);
		assert_int_equal(stat(t->file, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		check_file_key(t->file, cases[i].id, cases[i].bits);

		assert_int_equal(keygen_load(t->file, &again, &err), 0);
		/* The reloaded key is the same key: its TLSA data equals certs/tlsa's of the file.
		 */
		assert_int_equal(pkey_load_file(t->file, &pub), 0);
		assert_same_tlsa(k, pub, TLSA_MTYPE_SHA256);
		assert_same_tlsa(again, pub, TLSA_MTYPE_SHA256);
		assert_same_tlsa(again, pub, TLSA_MTYPE_SHA512);
		assert_same_tlsa(again, pub, TLSA_MTYPE_FULL);
		pkey_free(pub);
		keygen_free(again);
		keygen_free(k);
	}
}

static void test_write_replaces_loose_file(void **state)
{
	struct tmpdir *t = *state;
	struct keygen_error err;
	struct keygen_key *k;
	struct stat st;
	FILE *f = fopen(t->file, "w");

	assert_non_null(f);
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(chmod(t->file, 0644), 0);
	assert_int_equal(keygen_generate(KEYGEN_EC_P256, &k), 0);
	assert_int_equal(keygen_write(k, t->file, &err), 0);
	assert_int_equal(stat(t->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	keygen_free(k);
}

static void test_write_refuses_shared_dir(void **state)
{
	struct tmpdir *t = *state;
	struct keygen_error err;
	struct keygen_key *k;

	assert_int_equal(keygen_generate(KEYGEN_EC_P256, &k), 0);
	assert_int_equal(chmod(t->path, 0770), 0);
	assert_int_equal(keygen_write(k, t->file, &err), -EPERM);
	assert_non_null(strstr(err.detail, "writable by group or others"));
	assert_int_equal(access(t->file, F_OK), -1);
	assert_int_equal(chmod(t->path, 0700), 0);
	keygen_free(k);
}

static void test_load_refuses_loose_modes(void **state)
{
	static const mode_t modes[] = {0640, 0604, 0660, 0644, 0610};
	struct tmpdir *t = *state;
	struct keygen_error err;
	struct keygen_key *k;
	size_t i;

	assert_int_equal(keygen_generate(KEYGEN_EC_P256, &k), 0);
	assert_int_equal(keygen_write(k, t->file, &err), 0);
	keygen_free(k);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		k = NULL;
		assert_int_equal(chmod(t->file, modes[i]), 0);
		assert_int_equal(keygen_load(t->file, &k, &err), -EPERM);
		assert_null(k);
		assert_non_null(strstr(err.detail, "chmod 600"));
		assert_non_null(strstr(err.detail, t->file));
	}
	assert_int_equal(chmod(t->file, 0400), 0);
	assert_int_equal(keygen_load(t->file, &k, &err), 0);
	keygen_free(k);
	assert_int_equal(keygen_load(t->path, &k, &err), -EPERM); /* a directory */
	unlink(t->file);
	assert_int_equal(keygen_load(t->file, &k, &err), -ENOENT);
}

static void test_parse_wrong_input(void **state)
{
	static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
				  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
				  "-----END PUBLIC KEY-----\n";
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
				  "MAA=\n"
				  "-----END ENCRYPTED PRIVATE KEY-----\n";
	static const char cert[] = "-----BEGIN CERTIFICATE-----\n"
				   "MAA=\n"
				   "-----END CERTIFICATE-----\n";
	static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00, 0xff};
	struct keygen_key *k = NULL;

	(void)state;
	assert_int_equal(keygen_parse((const uint8_t *)pub, sizeof(pub) - 1, &k), ERR_NO_KEY);
	assert_int_equal(keygen_parse((const uint8_t *)enc, sizeof(enc) - 1, &k),
			 ERR_ENCRYPTED_KEY);
	assert_int_equal(keygen_parse((const uint8_t *)cert, sizeof(cert) - 1, &k), ERR_IS_CERT);
	assert_int_equal(keygen_parse(garbage, sizeof(garbage), &k), ERR_PARSE);
	assert_int_equal(keygen_parse((const uint8_t *)"hello", 5, &k), ERR_NOT_PEM);
	assert_int_equal(keygen_parse((const uint8_t *)"", 0, &k), ERR_NOT_PEM);
	assert_null(k);
}

static void test_csr(void **state)
{
	static const char *const names[] = {"conference.example.org", "xmpp.example.org",
					    "EXAMPLE.org", "xmpp.example.org"};
	static const char *const want[] = {"example.org", "conference.example.org",
					   "xmpp.example.org"};
	static const enum keygen_type types[] = {KEYGEN_EC_P256, KEYGEN_RSA_2048};
	size_t ti;

	(void)state;
	for (ti = 0; ti < 2; ti++) {
		struct keygen_key *k;
		struct pkey *pub;
		struct buf csr;
		GENERAL_NAMES *gens;
		STACK_OF(X509_EXTENSION) * exts;
		X509_REQ *req;
		EVP_PKEY *req_key;
		char cn[128];
		BIO *bio;
		int i;

		assert_int_equal(keygen_generate(types[ti], &k), 0);
		assert_int_equal(keygen_csr_pem(k, "example.org", names, 4, &csr), 0);
		assert_non_null(
			strstr((const char *)csr.data, "-----BEGIN CERTIFICATE REQUEST-----"));
		bio = BIO_new_mem_buf(csr.data, (int)csr.len);
		req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
		assert_non_null(req);
		req_key = X509_REQ_get0_pubkey(req);
		assert_non_null(req_key);
		assert_int_equal(X509_REQ_verify(req, req_key), 1);
		assert_int_equal(X509_NAME_get_text_by_NID(X509_REQ_get_subject_name(req),
							   NID_commonName, cn, sizeof(cn)),
				 11);
		assert_string_equal(cn, "example.org");
		exts = X509_REQ_get_extensions(req);
		assert_non_null(exts);
		gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
		assert_non_null(gens);
		assert_int_equal(sk_GENERAL_NAME_num(gens), 3);
		for (i = 0; i < 3; i++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

			assert_int_equal(g->type, GEN_DNS);
			assert_string_equal(ASN1_STRING_get0_data(g->d.dNSName), want[i]);
		}
		/* The CSR carries the key whose TLSA we publish. */
		{
			unsigned char *der = NULL;
			int len = i2d_PUBKEY(req_key, &der);

			assert_true(len > 0);
			assert_int_equal(keygen_matches_spki(k, der, (size_t)len), 1);
			assert_int_equal(pkey_parse(der, (size_t)len, &pub), 0);
			assert_same_tlsa(k, pub, TLSA_MTYPE_SHA256);
			pkey_free(pub);
			OPENSSL_free(der);
		}
		GENERAL_NAMES_free(gens);
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		X509_REQ_free(req);
		BIO_free(bio);
		buf_release(&csr);
		keygen_free(k);
	}
}

static void test_csr_bad_names(void **state)
{
	static const char *const bad[] = {"", "a b.example", "a,DNS:evil.example", "tab\t.example"};
	char longname[300];
	struct keygen_key *k;
	struct buf csr;
	size_t i;

	(void)state;
	assert_int_equal(keygen_generate(KEYGEN_EC_P256, &k), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(keygen_csr_pem(k, bad[i], NULL, 0, &csr), -EINVAL);
		assert_int_equal(keygen_csr_pem(k, "example.org", &bad[i], 1, &csr), -EINVAL);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(keygen_csr_pem(k, longname, NULL, 0, &csr), -EINVAL);
	/* Past 64 octets there is no CN, only the SAN. */
	memset(longname, 'a', 70);
	strcpy(longname + 70, ".example.org");
	assert_int_equal(keygen_csr_pem(k, longname, NULL, 0, &csr), 0);
	buf_release(&csr);
	keygen_free(k);
}

static void test_rollover_key(void **state)
{
	static const struct rollover_tlsa_type shapes[] = {{3, 1, 1}, {3, 1, 2}};
	static const struct rollover_tlsa_type full = {3, 1, 0};
	static const struct rollover_tlsa_type cert = {3, 0, 1};
	struct rollover_key rk;
	struct tlsa_record rec;
	struct keygen_key *k;

	(void)state;
	assert_int_equal(keygen_generate(KEYGEN_EC_P256, &k), 0);
	assert_int_equal(keygen_rollover_key(k, shapes, 2, &rk), 0);
	assert_false(rk.has_cert);
	assert_int_equal(keygen_tlsa(k, 3, 1, 1, &rec), 0);
	assert_memory_equal(rk.spki_sha256, rec.data, 32);
	assert_memory_equal(rk.data[0], rec.data, 32);
	tlsa_record_release(&rec);
	assert_int_equal(keygen_tlsa(k, 3, 1, 2, &rec), 0);
	assert_memory_equal(rk.data[1], rec.data, 64);
	tlsa_record_release(&rec);
	assert_int_equal(keygen_rollover_key(k, &full, 1, &rk), ERR_UNSUPPORTED);
	assert_int_equal(keygen_rollover_key(k, &cert, 1, &rk), ERR_UNSUPPORTED);
	assert_int_equal(keygen_rollover_key(k, shapes, ROLLOVER_SHAPE_MAX + 1, &rk), -EINVAL);
	keygen_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_parse),
		cmocka_unit_test_setup_teardown(test_generate_write_load, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_replaces_loose_file, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses_shared_dir, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_loose_modes, tmpdir_setup,
						tmpdir_teardown),
		cmocka_unit_test(test_parse_wrong_input),
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_csr_bad_names),
		cmocka_unit_test(test_rollover_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
