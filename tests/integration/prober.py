# SPDX-License-Identifier: BSD-3-Clause
"""A client's-eye DANE prober for integration tests: a background thread that, every `interval`
seconds, does what a DANE-aware XMPP client does for one SRV target, and records each attempt.

One attempt: ask the caching resolver (testbed.resolver.CachingResolver, the real unbound) for
the TLSA RRset `_PORT._tcp.TARGET` with RD and DO set, and require NOERROR, AD and at least one
TLSA record; the same for the target's A record unless an address is given; then `openssl
s_client -starttls xmpp` to that address and port with exactly those records, and require DANE
verification to succeed. A certificate rollover test runs one throughout and asserts that it
recorded no failure."""

import base64
import hashlib
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.rcode
import dns.rdatatype

OPENSSL = "openssl"
# -starttls protocol per service (Direct TLS services take none).
STARTTLS = {"xmpp-client": "xmpp", "xmpp-server": "xmpp-server"}
# What s_client prints when DANE authenticated the peer (OpenSSL 3.0, without -brief):
# "DANE TLSA 3 1 1 ...9bf7b6dd08ffd807387c0267 matched EE certificate at depth 0"
# (the last 12 octets of the data; "TA public key verified" for a signing 2 1 0 record).
DANE_LINE = re.compile(r"^DANE TLSA (\d+) (\d+) (\d+) (?:\.\.\.)?([0-9a-f]+) "
                       r"(matched (?:EE|TA) certificate|TA public key verified)"
                       r"(?: at depth (\d+))?", re.M)
VERIFY_CODE = re.compile(r"^Verify return code: (\d+) \(([^)]*)\)", re.M)
PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", re.S)
OUTPUT_TAIL = 1500  # characters of s_client output kept per failed attempt


@dataclass
class Attempt:
    """One probe: when it started (`time`: wall clock; `mono`: monotonic), how long it took,
    whether DANE verification succeeded (`ok`), and if not the `stage` that failed ("dns-tlsa",
    "dns-a", "tls", "dane") and why (`reason`). `tlsa` is the RDATA text of the TLSA RRset the
    resolver gave (lower-case hex) and `tlsa_ttl` its TTL, `matched` the record of it that
    OpenSSL reports as matching, `dane` OpenSSL's own line about it, `cert_sha256` the served
    leaf certificate's SHA-256, `output` the tail of s_client's output when the TLS stage
    failed."""

    number: int
    time: float
    mono: float
    seconds: float = 0.0
    ok: bool = False
    stage: str = ""
    reason: str = ""
    address: str = None
    tlsa: list = field(default_factory=list)
    tlsa_ttl: int = None
    matched: str = None
    dane: str = None
    cert_sha256: str = None
    output: str = ""

    def line(self, t0=None):
        """One line for assertion messages: offset from `t0` (monotonic), verdict, reason."""
        at = f"+{self.mono - t0:6.2f}s" if t0 is not None else time.strftime(
            "%H:%M:%S", time.localtime(self.time))
        if self.ok:
            return f"#{self.number} {at} ok ({self.seconds:.2f}s) matched {self.matched!r}"
        return (f"#{self.number} {at} FAILED at {self.stage} ({self.seconds:.2f}s): "
                f"{self.reason}; tlsa={self.tlsa}")


class ProbeFailure(Exception):
    """An attempt failed at `stage` for `reason`."""

    def __init__(self, stage, reason, output=""):
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.output = output


class Prober:
    """Probe (domain, target, port) every `interval` seconds in a thread until stop().

    `resolver` is a running CachingResolver (anything with `query(name, rdtype, timeout)`
    returning a dns.message). `domain` is the XMPP domain (the stream's to=, -xmpphost),
    `target` the SRV target (TLSA base domain, SNI), `port` the target's port for `service`
    (STARTTLS for xmpp-client/xmpp-server, Direct TLS for xmpps-*). `address` fixes the
    address to connect to; by default every attempt resolves the target's A record through the
    resolver (it must be secure). `name_checks` makes OpenSSL check the certificate's names
    against the target for DANE-EE records too; off by default, as RFC 7671 §5.1 says and as
    OpenSSL's manual advises for XMPP. `tls_timeout` bounds each s_client run (it is killed).
    """

    def __init__(self, resolver, domain, target, port, *, service="xmpp-client", address=None,
                 interval=0.5, dns_timeout=2.0, tls_timeout=5.0, name_checks=False):
        if service not in STARTTLS and not service.startswith("xmpps-"):
            raise ValueError(f"unknown service {service!r}")
        self.resolver = resolver
        self.domain = domain.rstrip(".")
        self.target = target.rstrip(".")
        self.port = int(port)
        self.service = service
        self.address = address
        self.interval = interval
        self.dns_timeout = dns_timeout
        self.tls_timeout = tls_timeout
        self.name_checks = name_checks
        self.owner = f"_{self.port}._tcp.{self.target}"
        self._attempts = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.started_mono = None
        self.stopped_mono = None

    @classmethod
    def for_domain(cls, resolver, domain, service="xmpp-client", target=0, **kwargs):
        """A Prober for a bed Domain's `target`-th SRV target and its port for `service`."""
        t = domain.targets[target]
        return cls(resolver, domain.name, t.name, t.ports[service], service=service, **kwargs)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self):
        if self._thread is not None:
            raise RuntimeError("prober started twice")
        self.started_mono = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"prober {self.owner}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=None):
        """Stop after the attempt under way (at most tls_timeout + DNS time) and join."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None
                              else self.tls_timeout + 3 * self.dns_timeout + 5)
            if self._thread.is_alive():
                raise RuntimeError(f"prober {self.owner} did not stop")
        if self.stopped_mono is None:
            self.stopped_mono = time.monotonic()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait_attempts(self, n, timeout=30.0):
        """Wait until at least `n` attempts are recorded; the attempts."""
        deadline = time.monotonic() + timeout
        while len(self.attempts) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.attempts)} of {n} attempts after {timeout}s\n"
                                   + self.summary())
            if self._thread is None or not self._thread.is_alive():
                raise RuntimeError(f"prober is not running\n{self.summary()}")
            time.sleep(0.05)
        return self.attempts

    # --- results -------------------------------------------------------------------------

    @property
    def attempts(self):
        with self._lock:
            return list(self._attempts)

    @property
    def failures(self):
        return [a for a in self.attempts if not a.ok]

    def summary(self, limit=10):
        """A few lines for an assertion message: counts, the failures (first `limit`), and the
        s_client output of the first TLS failure."""
        attempts, failures = self.attempts, self.failures
        t0 = self.started_mono
        end = self.stopped_mono or time.monotonic()
        lines = [f"prober {self.domain} -> {self.owner} ({self.service}): {len(attempts)} "
                 f"attempts in {end - t0 if t0 else 0:.1f}s, {len(failures)} failed"]
        lines += ["  " + a.line(t0) for a in failures[:limit]]
        if len(failures) > limit:
            lines.append(f"  ... and {len(failures) - limit} more")
        tls = [a for a in failures if a.output]
        if tls:
            lines.append(f"  s_client output of #{tls[0].number}:\n{tls[0].output}")
        if not failures and attempts:
            lines.append("  last: " + attempts[-1].line(t0))
        return "\n".join(lines)

    # --- one attempt ---------------------------------------------------------------------

    def _run(self):
        number, next_at = 0, time.monotonic()
        while not self._stop.is_set():
            number += 1
            a = self.probe_once(number)
            with self._lock:
                self._attempts.append(a)
            # A fixed cadence: attempts start `interval` apart (the next one at once if this
            # one took longer).
            next_at = max(next_at + self.interval, time.monotonic())
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def probe_once(self, number=0):
        """Run one attempt now (in the caller's thread) and return it (not recorded)."""
        a = Attempt(number=number, time=time.time(), mono=time.monotonic())
        try:
            a.tlsa, a.tlsa_ttl = self._resolve_tlsa()
            a.address = self.address or self._resolve_address()
            self._handshake(a)
            a.ok = True
        except ProbeFailure as e:
            a.stage, a.reason, a.output = e.stage, e.reason, e.output
        except Exception as e:  # a bug or an unforeseen error is a failure too, never lost
            a.stage, a.reason = "prober", f"{type(e).__name__}: {e}"
        a.seconds = time.monotonic() - a.mono
        return a

    def _secure_rrset(self, name, rdtype, stage):
        """The answer RRset of `rdtype` at `name` from the resolver; it must be NOERROR, AD
        and non-empty."""
        try:
            r = self.resolver.query(name, rdtype, timeout=self.dns_timeout)
        except (dns.exception.DNSException, OSError) as e:
            raise ProbeFailure(stage, f"{name}/{rdtype}: no answer from the resolver: "
                               f"{type(e).__name__}: {e}") from None
        if r.rcode() != dns.rcode.NOERROR:
            secure = ", AD set" if r.flags & dns.flags.AD else ""
            raise ProbeFailure(stage, f"{name}/{rdtype}: rcode {dns.rcode.to_text(r.rcode())}"
                               f"{secure}")
        if not r.flags & dns.flags.AD:
            raise ProbeFailure(stage, f"{name}/{rdtype}: answer not secure (AD not set)")
        want = dns.rdatatype.from_text(rdtype)
        rrsets = [s for s in r.answer if s.rdtype == want]
        if not rrsets or not len(rrsets[0]):
            raise ProbeFailure(stage, f"{name}/{rdtype}: no {rdtype} record in the answer")
        return rrsets[0]

    def _resolve_tlsa(self):
        rrset = self._secure_rrset(self.owner, "TLSA", "dns-tlsa")
        records = sorted(f"{rd.usage} {rd.selector} {rd.mtype} {rd.cert.hex()}" for rd in rrset)
        return records, rrset.ttl

    def _resolve_address(self):
        rrset = self._secure_rrset(self.target, "A", "dns-a")
        return sorted(rd.address for rd in rrset)[0]

    def argv(self, address, tlsa):
        """The s_client command line for one attempt."""
        host = f"[{address}]" if ":" in address else address
        argv = [OPENSSL, "s_client", "-connect", f"{host}:{self.port}"]
        if self.service in STARTTLS:
            argv += ["-starttls", STARTTLS[self.service], "-xmpphost", self.domain]
        else:  # Direct TLS: the SNI is the source domain (XEP-0368), not the TLSA base domain
            argv += ["-servername", self.domain]
        argv += ["-dane_tlsa_domain", self.target]
        for rdata in tlsa:
            argv += ["-dane_tlsa_rrdata", rdata]
        if not self.name_checks:
            argv.append("-dane_ee_no_namechecks")
        # No PKIX trust anchors at all: only a TLSA match can verify the peer; a verification
        # error aborts the handshake (non-zero exit) instead of being printed and ignored.
        argv += ["-no-CAfile", "-no-CApath", "-no-CAstore", "-verify_return_error"]
        return argv

    def _handshake(self, a):
        argv = self.argv(a.address, a.tlsa)
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               errors="replace", timeout=self.tls_timeout, check=False)
        except subprocess.TimeoutExpired as e:
            out = _text(e.stdout) + _text(e.stderr)
            raise ProbeFailure("tls", f"s_client timed out after {self.tls_timeout}s",
                               _tail(out)) from None
        out = p.stdout + "\n" + p.stderr
        codes = VERIFY_CODE.findall(p.stdout)
        code = codes[-1] if codes else None
        dane = DANE_LINE.search(p.stdout)
        if code and code[0] != "0":
            raise ProbeFailure("dane", f"DANE verification failed: verify return code "
                               f"{code[0]} ({code[1]})", _tail(out))
        if "Verification error:" in p.stdout or "verify error:" in p.stderr:
            why = re.search(r"(?:Verification error|verify error:num=\d+):\s*(.*)", out)
            raise ProbeFailure("dane", f"DANE verification failed: "
                               f"{why.group(1) if why else '?'}", _tail(out))
        if p.returncode != 0:
            first = next((line for line in p.stderr.splitlines() if line.strip()), "")
            raise ProbeFailure("tls", f"s_client exit {p.returncode}: {first}", _tail(out))
        if code is None or "Verification: OK" not in p.stdout:
            raise ProbeFailure("tls", "no completed handshake in s_client's output", _tail(out))
        if dane is None:
            raise ProbeFailure("dane", "verified, but not by DANE (no 'DANE TLSA ... matched' "
                               "line)", _tail(out))
        a.dane = dane.group(0)
        usage, selector, mtype, suffix = dane.group(1, 2, 3, 4)
        prefix = f"{usage} {selector} {mtype} "
        matched = [r for r in a.tlsa if r.startswith(prefix) and r.endswith(suffix)]
        if len(matched) != 1:
            raise ProbeFailure("dane", f"OpenSSL matched {a.dane!r}, which is not one record "
                               f"of the TLSA RRset {a.tlsa}", _tail(out))
        a.matched = matched[0]
        pem = PEM_CERT.search(p.stdout)
        if pem:
            der = base64.b64decode("".join(pem.group(1).split()))
            a.cert_sha256 = hashlib.sha256(der).hexdigest()


def _text(data):
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _tail(text):
    text = "\n".join(line for line in text.splitlines() if not _is_base64_line(line))
    return text[-OUTPUT_TAIL:]


def _is_base64_line(line):
    return len(line) >= 60 and re.fullmatch(r"[A-Za-z0-9+/=]+", line) is not None
