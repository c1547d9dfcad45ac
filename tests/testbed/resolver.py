# SPDX-License-Identifier: BSD-3-Clause
"""A caching validating resolver for the bed: the real `unbound` daemon on 127.0.0.1 at a port
of its own, forwarding `example.` to the bed's named and refusing every other name locally.

Unlike libunbound contexts built from `bed.unbound_conf` (one per process, gone with it), this
resolver outlives its clients and keeps what it learnt for each record's TTL, as the recursive
resolver of a real XMPP client does: a TLSA RRset changed on the authoritative side is still
answered from the cache, with its old records, until its TTL runs out. That is what a
certificate rollover must survive."""

import atexit
import os

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

from . import dns as bdns
from .proc import BedError, Server, free_port, read_tail, run

UNBOUND = "/usr/sbin/unbound"
ADDRESS = "127.0.0.1"


def write_conf(path, directory, address, port, forward_port, trust_anchor_ds, log_path,
               zone="example"):
    """Write an unbound.conf for a daemon that listens on address:port, forwards `zone` to the
    bed's named on 127.0.0.1:forward_port, validates from the bed's trust anchor and refuses
    everything else (see dns.write_unbound_conf for why a forward zone). It caches as unbound
    does by default (TTLs up to cache-max-ttl, 1 day); only bogus and negative answers are kept
    short, so that a test that breaks and repairs a zone is not held up by a verdict."""
    z = bdns.absolute(zone)
    text = f"""\
# Written by the xdane test bed (testbed/resolver.py): a caching validating resolver for {z}
# on {address}@{port}, asking the bed's named only; every other name is REFUSED locally.
server:
	module-config: "validator iterator"
	directory: "{directory}"
	chroot: ""
	username: ""
	pidfile: ""
	use-syslog: no
	logfile: "{log_path}"
	log-time-ascii: yes
	verbosity: 1
	val-log-level: 2
	log-servfail: yes

	interface: {address}
	port: {port}
	interface-automatic: no
	so-reuseport: no
	do-ip6: no
	# Queries to the forwarder leave from loopback too.
	outgoing-interface: {address}
	access-control: 127.0.0.0/8 allow
	num-threads: 1

	# The forwarder is on 127.0.0.1; unbound skips localhost servers unless told otherwise.
	do-not-query-localhost: no
	# Hermetic: every name outside {z} is REFUSED locally, nothing goes to the root servers.
	local-zone: "." refuse
	local-zone: "{z}" transparent
	trust-anchor-file: "{trust_anchor_ds}"
	# RFC 8145 signalling and root key sentinel queries are of no use here.
	trust-anchor-signaling: no
	root-key-sentinel: no

	# Cache as a real resolver: the records' own TTLs (cache-max-ttl stays at its default),
	# no prefetch and no stale answers, so an RRset changes exactly when its TTL runs out.
	prefetch: no
	serve-expired: no
	# Tests break and repair zones: do not keep a bogus verdict or a denial for long.
	val-bogus-ttl: 1
	cache-max-negative-ttl: 5

remote-control:
	control-enable: no

# A forward zone, not a stub zone (dns.write_unbound_conf says why).
forward-zone:
	name: "{z}"
	forward-addr: {bdns.ADDRESS}@{forward_port}
"""
    with open(path, "w") as f:
        f.write(text)
    return path


def query(name, rdtype, address, port, timeout=2.0):
    """A recursive query (RD) with the DNSSEC OK bit to a resolver; over TCP again if the UDP
    answer is truncated. The response (dns.message.Message)."""
    q = dns.message.make_query(bdns.absolute(name), rdtype, want_dnssec=True)
    q.flags |= dns.flags.RD
    r, _ = dns.query.udp_with_fallback(q, address, port=port, timeout=timeout)
    return r


class CachingResolver:
    """The real unbound daemon (`unbound -d -c CONF`) as the caching resolver of a bed.

    `CachingResolver(bed, directory).start()` writes `directory`/unbound.conf and runs unbound
    on 127.0.0.1:`port` with its log in `directory`/unbound.log; `stop()` (idempotent, also
    at exit and when the thread that started it dies) ends it by its pid. `query(name,
    rdtype)` asks it with RD and DO set. `flush()` empties the cache by restarting unbound on
    the same port (there is no remote control).
    """

    def __init__(self, bed, directory, *, address=ADDRESS, port=None):
        self.bed = bed
        self.dir = os.path.abspath(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.address = address
        self.port = port or free_port((address,), udp=True)
        self.conf = os.path.join(self.dir, "unbound.conf")
        self.log_path = os.path.join(self.dir, "unbound.log")
        self.stdout_path = os.path.join(self.dir, "unbound.stdout")
        self.server = None
        self._stopped = False

    @property
    def pid(self):
        return self.server.pid if self.server else None

    def start(self, timeout=10.0):
        """Write the config, start unbound and wait until it answers securely for the bed's
        parent zone; raise BedError with its log tail (after stopping it) if it does not."""
        if self.alive():
            raise BedError(f"unbound on {self.address}@{self.port} runs already")
        write_conf(self.conf, self.dir, self.address, self.port, self.bed.named.port,
                   self.bed.trust_anchor["ds"], self.log_path)
        run(["unbound-checkconf", self.conf])
        if self.server is None:  # a reused directory starts a fresh log; flush() appends
            for path in (self.log_path, self.stdout_path):
                open(path, "w").close()
        self._stopped = False
        atexit.register(self.stop)
        self.server = Server("unbound", [UNBOUND, "-d", "-c", self.conf],
                             log_path=self.log_path, stdout_path=self.stdout_path,
                             cwd=self.dir).start()
        try:
            self.server.wait_until(self._answers_securely,
                                   f"a secure answer for example. SOA on "
                                   f"{self.address}@{self.port}", timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _answers_securely(self):
        # Not before unbound says it serves: a datagram to a port nobody holds yet is dropped
        # without an error (unconnected UDP), and the query would wait out its timeout.
        if "start of service" not in read_tail(self.log_path, 20):
            return False
        try:
            r = self.query("example.", "SOA", timeout=0.5)
        except (dns.exception.DNSException, OSError):
            return False
        return r.rcode() == dns.rcode.NOERROR and bool(r.flags & dns.flags.AD)

    def query(self, name, rdtype, timeout=2.0):
        """Ask this resolver (RD, DO); the response."""
        return query(name, rdtype, self.address, self.port, timeout=timeout)

    def flush(self, timeout=10.0):
        """Empty the whole cache: restart unbound on the same port (the cache is its memory)."""
        self.stop()
        return self.start(timeout=timeout)

    def alive(self):
        return self.server is not None and self.server.alive()

    def log_tail(self, lines=60):
        return self.server.log_tail(lines) if self.server else ""

    def stop(self, timeout=5.0):
        """SIGTERM unbound (SIGKILL after `timeout`); idempotent. Returns its exit status."""
        if self._stopped or self.server is None:
            return None
        self._stopped = True
        atexit.unregister(self.stop)
        return self.server.stop(timeout)

    def __enter__(self):
        if self.server is None or not self.alive():
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
