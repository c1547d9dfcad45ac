/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for daemon/config: the DESIGN.md example parses, defaults hold,
 * and every kind of mistake is one error line naming the file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/facts.h"
#include "daemon/config.h"

static char path[] = "/tmp/xdane-test-config-XXXXXX";

static const char *write_config(const char *text)
{
	int fd;

	strcpy(path, "/tmp/xdane-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_design_example_parses(void **state)
{
	static const char text[] =
		"resolver-config = \"/etc/xdane/unbound.conf\"\n"
		"trust-anchor = \"/usr/share/dns/root.key\"\n"
		"ca-file = \"/etc/ssl/certs/ca-certificates.crt\"\n"
		"state-db = \"/var/lib/xdane/state.db\"\n"
		"interval = 300\n"
		"http { listen = \"127.0.0.1:9470\" }\n"
		"control-socket = \"/run/xdane/control.sock\"\n"
		"alert { exec = {\"/usr/local/bin/page-oncall\", \"--team\", \"xmpp\"}\n"
		"        webhook = \"http://127.0.0.1:9093/api/v2/alerts\"\n"
		"        webhook-format = \"alertmanager\"\n"
		"        consecutive = 2 }\n"
		"finding \"RRSIG_EXPIRING\" { severity = \"critical\" }\n"
		"domain \"example.org\" {\n"
		"    services = {\"xmpp-client\", \"xmpp-server\"}\n"
		"    interval = 60\n"
		"    rollover { mode = \"current-next\" zone = \"example.org\" ttl = 3600\n"
		"               publisher = \"file\" reload-command = {\"rndc\", \"reload\"}\n"
		"               fragment = \"/var/lib/xdane/example.org.tlsa\"\n"
		"               deploy-command = {\"/usr/local/sbin/deploy-xmpp-cert\"}\n"
		"               cert = \"/etc/prosody/certs/example.org.crt\"\n"
		"               key = \"/etc/prosody/certs/example.org.key\" }\n"
		"}\n"
		"domain \"conference.example.org\" { services = {\"xmpp-server\"} }\n";
	struct config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(config_load(write_config(text), &c, err, sizeof(err)), 0);
	assert_string_equal(c->resolver_config, "/etc/xdane/unbound.conf");
	assert_string_equal(c->http_listen, "127.0.0.1:9470");
	assert_int_equal(c->interval_s, 300);
	assert_int_equal(c->auth_port, 53);
	assert_int_equal(c->severity[FINDING_RRSIG_EXPIRING], SEVERITY_CRITICAL);
	assert_int_equal(c->severity[FINDING_TLSA_MISMATCH], -1);
	assert_int_equal(c->n_domains, 2);
	assert_string_equal(c->domains[0].name, "example.org");
	assert_int_equal(c->domains[0].services,
			 (1u << SERVICE_XMPP_CLIENT) | (1u << SERVICE_XMPP_SERVER));
	assert_int_equal(c->domains[0].interval_s, 60);
	assert_int_equal(c->domains[1].services, 1u << SERVICE_XMPP_SERVER);
	assert_true(c->domains[0].rollover.enabled);
	assert_true(c->domains[0].rollover.current_next);
	assert_false(c->domains[0].rollover.update);
	assert_string_equal(c->domains[0].rollover.zone, "example.org");
	assert_string_equal(c->domains[0].rollover.reload_argv[1], "reload");
	assert_null(c->domains[0].rollover.reload_argv[2]);
	assert_string_equal(c->domains[0].rollover.deploy_argv[0],
			    "/usr/local/sbin/deploy-xmpp-cert");
	assert_int_equal(c->domains[0].rollover.safety_margin_s, 3600);
	/* The engine's limits, defaulted. */
	assert_int_equal(c->domains[0].rollover.retries, 5);
	assert_int_equal(c->domains[0].rollover.key_type, KEYGEN_EC_P256);
	assert_int_equal(c->domains[0].rollover.retry_interval_s, 30);
	assert_int_equal(c->domains[0].rollover.deploy_timeout_s, 600);
	assert_int_equal(c->domains[0].rollover.stall_timeout_s, 3600);
	assert_false(c->domains[1].rollover.enabled);
	config_free(c);
	unlink(path);
}

static void test_defaults(void **state)
{
	struct config *c = NULL;

	(void)state;
	assert_int_equal(config_defaults(&c), 0);
	assert_null(c->resolver_config);
	assert_int_equal(c->auth_port, CONFIG_DEFAULT_AUTH_PORT);
	assert_int_equal(c->rrsig_margin_s, CONFIG_DEFAULT_RRSIG_MARGIN_S);
	assert_string_equal(c->control_socket, CONFIG_DEFAULT_CONTROL_SOCKET);
	assert_int_equal(c->n_domains, 0);
	config_free(c);
}

static void test_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* after "FILE:" */
	} rows[] = {
		{"interval = 300\nauth-port = 70000\n", ":2: 'auth-port' is 70000"},
		{"interval = 0\n", ":1: 'interval' is 0"},
		{"\n\nfrobnicate = 1\n", ":3: no such option 'frobnicate'"},
		{"domain \"a.org\" {\n services = {\"xmpp-clients\"}\n}\n",
		 "unknown service 'xmpp-clients'"},
		{"finding \"NO_SUCH_CODE\" { severity = \"warning\" }\n",
		 "unknown finding code 'NO_SUCH_CODE'"},
		{"finding \"TLSA_MISMATCH\" { severity = \"loud\" }\n", "severity must be info"},
		{"alert { webhook-format = \"slack\" }\n", "webhook-format must be"},
		{"interval = \"soon\"\n", ":1:"},
		{"domain \"a.org\" { }\ndomain \"a.org\" { }\n", ":2:"},
		{"\ndomain \"not a domain\" { }\n", ":2: domain 'not a domain' is not a valid"},
		{"alert {\n consecutive = 0 }\n", ":2: 'consecutive' is 0"},
		{"workers = 17\n", ":1: 'workers' is 17"},
		{"cache-size = 2\n", ":1: 'cache-size' is 2"},
		{"max-checks-in-flight = 0\n", ":1: 'max-checks-in-flight' is 0"},
		{"domain \"a.org\" {\n\n cert-margin = -1 }\n", ":3: 'cert-margin' is -1"},
		{"domain \"a.org\" { finding \"NOPE\" { severity = \"info\" } }\n",
		 "unknown finding code 'NOPE'"},
		{"alert { exec-timeout = 0 }\n", "'exec-timeout' is 0"},
		{"domain \"a.org\" {\n interval = 864000 }\n", ":2: 'interval' is 864000"},
		{"\nservices = {\"xmpp\"}\n", ":2: unknown service 'xmpp'"},
		{"http {\n listen = \"localhost:9470\" }\n", ":2: listen 'localhost:9470'"},
		{"http { listen = \"127.0.0.1\" }\n", "expected ADDRESS:PORT"},
		{"domain \"a.org\" {\n rollover { mode = \"sometimes\" } }\n",
		 ":2: rollover: mode must be"},
		{"domain \"a.org\" { rollover { publisher = \"ftp\" } }\n", "publisher must be"},
		{"domain \"a.org\" { rollover { key = \"k\" deploy-command = {\"d\"} } }\n",
		 "rollover: 'cert' is missing"},
		{"domain \"a.org\" { rollover { cert = \"c\" key = \"k\" } }\n",
		 "'deploy-command' is missing"},
		{"domain \"a.org\" { rollover { cert = \"c\" key = \"k\" deploy-command = {\"d\"}\n"
		 " fragment = \"f\" } }\n",
		 "publisher \"file\" needs 'fragment' and 'reload-command'"},
		{"domain \"a.org\" { rollover { cert = \"c\" key = \"k\" deploy-command = {\"d\"}\n"
		 " publisher = \"update\" update-server = \"127.0.0.1\" } }\n",
		 "publisher \"update\" needs 'update-server' and 'tsig-key-file'"},
		{"domain \"a.org\" { rollover { zone = \"bad..zone\" } }\n", "zone 'bad..zone'"},
		{"domain \"a.org\" { rollover {\n ttl = 0 } }\n", ":2: 'ttl' is 0"},
		{"domain \"a.org\" { rollover {\n retries = 0 } }\n", ":2: 'retries' is 0"},
		{"domain \"a.org\" { rollover { key-type = \"dsa\" } }\n",
		 "rollover: key-type must be"},
		{"domain \"a.org\" { rollover {\n\n retry-interval = -1 } }\n",
		 ":3: 'retry-interval' is -1"},
		{"domain \"a.org\" { rollover { deploy-timeout = 0 } }\n", "'deploy-timeout' is 0"},
		{"domain \"a.org\" { rollover { stall-timeout = -5 } }\n", "'stall-timeout' is -5"},
		{"\ndomains = {\"a.org\", \"b c\"}\n", ":2: domains: 'b c' is not a valid"},
		{"domains = {\"a.org\", \"b.org\"}\ndomain \"A.org\" { }\n",
		 ": domain 'a.org' is configured twice"},
		{"domains = {\"b.org\", \"b.org\"}\n", ": domain 'b.org' is configured twice"},
	};
	char err[256];
	struct config *c = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = write_config(rows[i].text);

		err[0] = '\0';
		assert_true(config_load(p, &c, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, p));
		if (strstr(err, rows[i].want) == NULL) {
			fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].want);
		}
		unlink(p);
	}
	assert_true(config_load("/nonexistent/xdane.conf", &c, err, sizeof(err)) < 0);
	assert_string_equal(err, "/nonexistent/xdane.conf: No such file or directory");
	assert_null(c);
}

/* A domain block overrides margins and severities; what it leaves out comes from the top. */
static void test_domain_overrides_and_alerts(void **state)
{
	static const char text[] =
		"interval = 120\n"
		"cert-margin = 1000\n"
		"finding \"TLSA_FRAGILE\" { severity = \"info\" }\n"
		"max-checks-in-flight = 32\n"
		"workers = 2\n"
		"cache-size = 8\n"
		"alert { exec = {\"/bin/pager\", \"--now\"} exec-timeout = 5\n"
		"        webhook = \"http://127.0.0.1:9/x\" webhook-format = \"webhook\" }\n"
		"domain \"a.org\" { cert-margin = 50 rrsig-margin = 60\n"
		"    finding \"TLSA_MISMATCH\" { severity = \"warning\" } }\n"
		"domain \"b.org\" { interval = 30 }\n"
		"domains = {\"c.org\", \"d.org\"}\n"
		"services = {\"xmpp-client\", \"xmpps-client\"}\n"
		"domain \"e.org\" { services = {} }\n";
	struct config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(config_load(write_config(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c->max_checks, 32);
	assert_int_equal(c->workers, 2);
	assert_int_equal(c->cache_mb, 8);
	assert_string_equal(c->alert_exec[0], "/bin/pager");
	assert_string_equal(c->alert_exec[1], "--now");
	assert_null(c->alert_exec[2]);
	assert_int_equal(c->alert_exec_timeout_s, 5);
	assert_int_equal(c->alert_webhook_timeout_s, CONFIG_DEFAULT_WEBHOOK_TIMEOUT_S);
	assert_false(c->alert_webhook_alertmanager);
	assert_int_equal(c->alert_consecutive, CONFIG_DEFAULT_CONSECUTIVE);
	/* a.org: its own margins and severity, plus the global one. */
	assert_int_equal(c->domains[0].interval_s, 120);
	assert_int_equal(c->domains[0].cert_margin_s, 50);
	assert_int_equal(c->domains[0].rrsig_margin_s, 60);
	assert_int_equal(c->domains[0].cert_critical_s, CONFIG_DEFAULT_CERT_CRITICAL_S);
	assert_int_equal(c->domains[0].severity[FINDING_TLSA_MISMATCH], SEVERITY_WARNING);
	assert_int_equal(c->domains[0].severity[FINDING_TLSA_FRAGILE], SEVERITY_INFO);
	/* b.org: everything from the top. */
	assert_int_equal(c->domains[1].interval_s, 30);
	assert_int_equal(c->domains[1].cert_margin_s, 1000);
	assert_int_equal(c->domains[1].rrsig_margin_s, CONFIG_DEFAULT_RRSIG_MARGIN_S);
	assert_int_equal(c->domains[1].severity[FINDING_TLSA_MISMATCH], -1);
	assert_int_equal(c->domains[1].severity[FINDING_TLSA_FRAGILE], SEVERITY_INFO);
	/* The list: after the blocks, every setting global. */
	assert_int_equal(c->n_domains, 5);
	assert_string_equal(c->domains[4].name, "d.org");
	assert_int_equal(c->domains[4].services,
			 (1u << SERVICE_XMPP_CLIENT) | (1u << SERVICE_XMPPS_CLIENT));
	/* A block without services, or with {}, takes the global ones too. */
	assert_int_equal(c->domains[0].services, c->domains[4].services);
	assert_int_equal(c->domains[2].services, c->domains[4].services);
	assert_int_equal(c->domains[2].interval_s, 120);
	assert_int_equal(c->domains[4].interval_s, 120);
	assert_int_equal(c->domains[4].cert_margin_s, 1000);
	assert_int_equal(c->domains[4].severity[FINDING_TLSA_FRAGILE], SEVERITY_INFO);
	assert_false(c->domains[4].rollover.enabled);
	config_free(c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example_parses),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_domain_overrides_and_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
