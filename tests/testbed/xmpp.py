# SPDX-License-Identifier: BSD-3-Clause
"""XMPP side of the test bed: a Prosody 0.12 instance with its own config, data directory, log
and ports (c2s/s2s STARTTLS and Direct TLS), serving exactly the certificate the bed chose for
each VirtualHost, and taking new hosts at run time (SIGHUP plus a small module of ours)."""

import os
import re
import signal
import threading

from .proc import Server, free_port, port_open

SERVICES = ("xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server")
# Prosody's listener option for each service (RFC 6120 STARTTLS, XEP-0368 Direct TLS).
PORT_OPTIONS = {"xmpp-client": "c2s_ports", "xmpp-server": "s2s_ports",
                "xmpps-client": "c2s_direct_tls_ports", "xmpps-server": "s2s_direct_tls_ports"}

# Prosody 0.12 re-reads its config on SIGHUP but never activates a VirtualHost or Component
# added to it (hostmanager only activates hosts at start-up; verified). This global module
# reconciles the running hosts with the config on every reload and logs a marker line with the
# config's generation, which the bed waits for. A SIGHUP also reloads the TLS contexts of every
# host (~18 ms per host: 1 s with 60 hosts), so when hosts were only added the bed sends SIGUSR1
# instead: the module re-reads the config and activates the new hosts (their contexts are built
# on activation), and nothing else. The marker is logged last (lowest priority): a SIGHUP sent
# while Prosody still reloads is lost (seen).
_MODULE = """\
-- Written by the xdane test bed. Activates hosts added to the config on reload (SIGHUP: full
-- reload; SIGUSR1: only re-read the config and add or remove hosts), deactivates removed ones,
-- and logs the config generation once it is in force.
module:set_global();
local hostmanager = require "core.hostmanager";
local configmanager = require "core.configmanager";

local function reconcile()
	local config = configmanager.getconfig();
	for host in pairs(prosody.hosts) do
		if not config[host] then
			hostmanager.deactivate(host, { condition = "host-gone", text = "removed by the test bed" });
		end
	end
	for host, host_config in pairs(config) do
		if host ~= "*" and host_config.enabled ~= false and not prosody.hosts[host] then
			local ok, err = hostmanager.activate(host, host_config);
			if not ok then
				module:log("error", "testbed: activating %s failed: %s", host, tostring(err));
			end
		end
	end
end

local function ready()
	local generation = configmanager.get("*", "testbed_generation");
	module:log("info", "testbed: generation %s ready", tostring(generation));
end

module:hook_global("server-started", ready);
-- Priority above portmanager's handler (-1): it then builds the SNI contexts of the new hosts.
module:hook_global("config-reloaded", reconcile, 1);
-- After every other handler (TLS contexts of all hosts reloaded).
module:hook_global("config-reloaded", ready, -1000);
-- Lean hosts (bulk domains: `testbed_shared_tls = true`) with the same TLS settings share their
-- contexts: Prosody builds seven per host (mod_tls: c2s, s2sin, s2sout; SNI: each Direct TLS
-- port and address), ~2.5 ms each with OpenSSL 3.0, which made 1000 hosts cost 20 s. The key
-- is everything create_context reads: mode, the settings passed in and the host's own
-- `certificate` option; a reload (SIGHUP) starts the cache afresh. Other hosts are untouched.
local certmanager = require "core.certmanager";
local function serialize(v, out)
	if type(v) == "table" then
		local keys = {};
		for k in pairs(v) do keys[#keys + 1] = k; end
		table.sort(keys, function (a, b) return tostring(a) < tostring(b); end);
		out[#out + 1] = "{";
		for _, k in ipairs(keys) do
			out[#out + 1] = tostring(k) .. "=";
			serialize(v[k], out);
			out[#out + 1] = ";";
		end
		out[#out + 1] = "}";
	else
		out[#out + 1] = type(v) .. ":" .. tostring(v);
	end
end
if not certmanager.testbed_create_context then
	local create_context, contexts = certmanager.create_context, {};
	certmanager.testbed_create_context = create_context;
	certmanager.create_context = function (host, mode, ...)
		if not configmanager.get(host, "testbed_shared_tls") then
			return create_context(host, mode, ...);
		end
		local out = { tostring(mode), tostring(configmanager.get(host, "certificate")) };
		for i = 1, select("#", ...) do
			out[#out + 1] = "|";
			serialize((select(i, ...)), out);
		end
		local key = table.concat(out);
		local hit = contexts[key];
		if hit then
			return hit[1], hit[2], hit[3];
		end
		local ctx, err, cfg = create_context(host, mode, ...);
		if ctx then
			contexts[key] = { ctx, err, cfg };
		end
		return ctx, err, cfg;
	end;
	-- Before every other reload handler: certificate files may have changed.
	module:hook_global("config-reloaded", function () contexts = {}; end, 1000);
end

module:hook_global("signal/SIGUSR1", function ()
	prosody.main_thread:run(function ()
		local ok, level, err = configmanager.load(prosody.config_file);
		if not ok then
			module:log("error", "testbed: re-reading the config failed: %s: %s",
				tostring(level), tostring(err));
			return;
		end
		reconcile();
		ready();
	end);
end);
"""


# A lean host (bulk domains for benchmarks) answers stream headers and STARTTLS (c2s and s2s)
# and Direct TLS; no presence, roster, SASL, dialback or storage. Module loading is most of a
# host's activation cost (~25 ms of ~50 ms; the TLS contexts are the rest, shared, see _MODULE).
LEAN_HOST_OPTIONS = (
    'modules_disabled = { "presence", "message", "iq", "offline", "saslauth", "dialback", '
    '"disco", "ping", "s2s_auth_certs" }',
    'authentication = "anonymous"',
    'storage = "none"',
    "testbed_shared_tls = true",
)


def _lua(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Prosody:
    """One Prosody process; `hosts` maps each VirtualHost/Component to the Cert it serves.

    Certificate selection, verified on 0.12: STARTTLS uses the host's `ssl` table (chosen by the
    stream's `to`), Direct TLS the SNI context built from the per-host `certificate` file (with
    its `.key` beside it) or `<service>_ssl`; `certificates` points at an empty directory so the
    automatic index (which skips expired certificates) never interferes.

    Two certificates for one host (say ECDSA and RSA): LuaSec 1.2 takes a list in the ssl
    table, `ssl = { certificates = { { certificate = A, key = A_KEY }, { certificate = B, key
    = B_KEY } } }` (it then ignores `certificate`/`key`), and OpenSSL picks by the client's
    signature algorithms; Prosody 0.12 passes the list through (verified for STARTTLS and
    Direct TLS/SNI, set in `ssl` and `<service>_ssl`).
    """

    def __init__(self, name, directory, addresses, default_cert, log_level="info"):
        self.name = name
        self.dir = os.path.abspath(directory)
        self.addresses = list(addresses)
        self.default_cert = default_cert
        self.log_level = log_level
        self.conf = os.path.join(self.dir, "prosody.cfg.lua")
        self.log_path = os.path.join(self.dir, "prosody.log")
        self.stdout_path = os.path.join(self.dir, "prosody.stdout")
        self.pidfile = os.path.join(self.dir, "prosody.pid")
        for sub in ("data", "plugins", "empty-certs"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "plugins", "mod_testbed_hosts.lua"), "w") as f:
            f.write(_MODULE)
        self.ports = {}
        for service in SERVICES:
            self.ports[service] = free_port(tuple(self.addresses))
        self.hosts = {}  # name -> (Cert, component module or None, more Certs)
        self.lean = set()  # hosts declared lean (set_host)
        self.generation = 0
        self.server = None
        self._lock = threading.Lock()
        self._log_offset = 0
        self._full_reload = False

    def set_host(self, host, cert, component=None, alt=(), lean=False):
        """Declare (or replace) a VirtualHost, or a Component with `component` ("muc"); `alt`
        are more certificates (other key types) it presents beside `cert`. A `lean` host
        (bulk domains) loads only what STARTTLS and Direct TLS need (LEAN_HOST_OPTIONS) and
        shares its TLS contexts with every lean host of the same certificate: ~8 ms to
        activate instead of ~50 ms."""
        entry = (cert, component, tuple(alt))
        if host in self.hosts and (self.hosts[host] != entry or (host in self.lean) != lean):
            self._full_reload = True  # an existing host's TLS context must be rebuilt
        self.hosts[host] = entry
        if lean:
            self.lean.add(host)
        else:
            self.lean.discard(host)

    def remove_host(self, host):
        self.hosts.pop(host, None)
        self.lean.discard(host)

    def _write_config(self):
        d = self.default_cert
        lines = [
            "-- Written by the xdane test bed; rewritten on every change (then SIGUSR1 or SIGHUP).",
            f"testbed_generation = {self.generation}",
            f"pidfile = {_lua(self.pidfile)}",
            "run_as_root = true  -- CI runs as root; Prosody refuses without this",
            f"data_path = {_lua(os.path.join(self.dir, 'data'))}",
            f"plugin_paths = {{ {_lua(os.path.join(self.dir, 'plugins'))} }}",
            f"log = {{ {{ levels = {{ min = {_lua(self.log_level)} }}, to = \"file\", "
            f"filename = {_lua(self.log_path)} }} }}",
            "-- An empty directory: no automatic certificate index, only what each host names.",
            f"certificates = {_lua(os.path.join(self.dir, 'empty-certs'))}",
            f"interfaces = {{ {', '.join(_lua(a) for a in self.addresses)} }}",
            "local_interfaces = { }",
        ]
        for service, option in PORT_OPTIONS.items():
            lines.append(f"{option} = {{ {self.ports[service]} }}")
        lines += [
            'modules_enabled = { "tls", "saslauth", "dialback", "disco", "ping", "posix", '
            '"testbed_hosts" }',
            "s2s_secure_auth = false",
            "-- The Direct TLS ports need a default context (clients without SNI get it).",
            f"ssl = {{ certificate = {_lua(d.chain)}, key = {_lua(d.key)} }}",
            "",
        ]
        for host, (cert, component, alt) in self.hosts.items():
            if alt:
                pairs = ", ".join(f"{{ certificate = {_lua(c.chain)}, key = {_lua(c.key)} }}"
                                  for c in (cert, *alt))
                ssl = (f"{{ certificate = {_lua(cert.chain)}, key = {_lua(cert.key)}, "
                       f"certificates = {{ {pairs} }} }}")
            else:
                ssl = f"{{ certificate = {_lua(cert.chain)}, key = {_lua(cert.key)} }}"
            if component:
                head = f"Component {_lua(host)} {_lua(component)}"
            else:
                head = f"VirtualHost {_lua(host)}"
            lines += [head,
                      f"\tssl = {ssl}",
                      f"\tc2s_direct_tls_ssl = {ssl}",
                      f"\ts2s_direct_tls_ssl = {ssl}",
                      f"\tcertificate = {_lua(cert.chain)}"]
            if host in self.lean:
                lines += [f"\t{line}" for line in LEAN_HOST_OPTIONS]
            lines.append("")
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines))
        os.replace(tmp, self.conf)

    def _generation_seen(self, generation):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(self._log_offset)
                text = f.read()
        except FileNotFoundError:
            return False
        return re.search(rf"testbed: generation {generation} ready", text) is not None

    def _check_errors(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                f.seek(self._log_offset)
                text = f.read()
        except FileNotFoundError:
            return
        bad = [line for line in text.splitlines() if "\terror\t" in line]
        if bad:
            raise self.server.fail("errors in the log:\n" + "\n".join(bad[-10:]))

    def start(self):
        """Start Prosody (then wait with `wait_ready`)."""
        self._write_config()
        for path in (self.log_path, self.stdout_path):  # one run per log, also in a reused dir
            open(path, "w").close()
        # -F: stay in the foreground (0.12 deprecates `daemonize = false` in the config).
        self.server = Server(f"prosody-{self.name}", ["prosody", "--config", self.conf, "-F"],
                             log_path=self.log_path, stdout_path=self.stdout_path,
                             cwd=self.dir).start()
        return self

    def wait_ready(self, timeout=15.0):
        """Wait until Prosody runs the current config and every port accepts connections."""
        g = self.generation
        self.server.wait_until(lambda: self._generation_seen(g), f"generation {g} in the log",
                               timeout=timeout)
        for service, port in self.ports.items():
            for a in self.addresses:
                self.server.wait_until(lambda: port_open(a, port),
                                       f"{service} port {a}:{port} open", timeout=timeout)
        self._check_errors()
        self._advance_log()

    def _advance_log(self):
        try:
            self._log_offset = os.path.getsize(self.log_path)
        except FileNotFoundError:
            self._log_offset = 0

    def apply(self, timeout=10.0, wait=True):
        """Write the config with the current hosts, SIGHUP, wait until Prosody runs it.
        With wait=False, return the generation to pass to wait_applied() later (the bed
        builds zones while Prosody reloads: a reload takes ~0.1 s plus ~10 ms per host)."""
        with self._lock:
            self.generation += 1
            self._write_config()
            # Hosts only added or removed: the light reload (SIGUSR1, see _MODULE).
            self.server.signal(signal.SIGHUP if self._full_reload else signal.SIGUSR1)
            self._full_reload = False
            if wait:
                self._wait_applied(self.generation, timeout)
            return self.generation

    def wait_applied(self, generation, timeout=10.0):
        """Wait until Prosody runs config `generation` (or a later one)."""
        with self._lock:
            self._wait_applied(generation, timeout)

    def _wait_applied(self, generation, timeout):
        self.server.wait_until(lambda: self._generation_seen(generation),
                               f"reload to generation {generation}", timeout=timeout)
        self._check_errors()
        if generation == self.generation:
            self._advance_log()

    @property
    def pid(self):
        return self.server.pid if self.server else None

    def info(self):
        return {"pid": self.pid, "addresses": self.addresses, "ports": dict(self.ports),
                "config": self.conf, "log": self.log_path, "stdout": self.stdout_path,
                "hosts": sorted(self.hosts)}

    def stop(self, timeout=5.0):
        if self.server:
            self.server.stop(timeout)
