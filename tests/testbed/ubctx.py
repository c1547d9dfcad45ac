# SPDX-License-Identifier: BSD-3-Clause
"""libunbound through ctypes: one long-lived context on the bed's unbound.conf, as xdane uses it
(ub_ctx_config, then many ub_resolve calls sharing one cache), for tests that need more than
unbound-host's one fresh context per run.

    ctx = Resolver(bed.unbound_conf)
    r = ctx.resolve("_xmpp-client._tcp.good.example", "SRV")
    r.rcode, r.secure, r.bogus, r.why_bogus, r.seconds, r.records  # records: RDATA text

`python3 -m testbed.ubctx CONF NAME/TYPE...` resolves each in one context and prints a JSON
line per answer (for running it under strace)."""

import ctypes
import json
import sys
import time
from dataclasses import dataclass

import dns.message
import dns.rdatatype


class _Result(ctypes.Structure):
    _fields_ = [("qname", ctypes.c_char_p), ("qtype", ctypes.c_int), ("qclass", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_void_p)), ("len", ctypes.POINTER(ctypes.c_int)),
                ("canonname", ctypes.c_char_p), ("rcode", ctypes.c_int),
                ("answer_packet", ctypes.c_void_p), ("answer_len", ctypes.c_int),
                ("havedata", ctypes.c_int), ("nxdomain", ctypes.c_int), ("secure", ctypes.c_int),
                ("bogus", ctypes.c_int), ("why_bogus", ctypes.c_char_p),
                ("was_ratelimited", ctypes.c_int), ("ttl", ctypes.c_int)]


_lib = None


def _libunbound():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL("libunbound.so.8")
        lib.ub_ctx_create.restype = ctypes.c_void_p
        lib.ub_ctx_delete.argtypes = [ctypes.c_void_p]
        lib.ub_ctx_config.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.ub_resolve.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                   ctypes.POINTER(ctypes.POINTER(_Result))]
        lib.ub_resolve_free.argtypes = [ctypes.POINTER(_Result)]
        lib.ub_strerror.restype = ctypes.c_char_p
        _lib = lib
    return _lib


@dataclass
class Answer:
    name: str
    rdtype: str
    rcode: int  # 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...
    havedata: bool
    secure: bool
    bogus: bool
    why_bogus: str
    seconds: float
    records: list  # RDATA text of the answer RRset of the asked type
    cname: list  # CNAME targets in the answer, in order

    @property
    def verdict(self):
        """secure / insecure / bogus for NOERROR and NXDOMAIN answers; else the rcode name."""
        if self.rcode not in (0, 3):
            return {2: "servfail", 5: "refused"}.get(self.rcode, f"rcode{self.rcode}")
        return "bogus" if self.bogus else "secure" if self.secure else "insecure"

    def info(self):
        return dict(self.__dict__, verdict=self.verdict)


class Resolver:
    """One libunbound context configured from `conf` (the bed's unbound.conf)."""

    def __init__(self, conf):
        self._lib = _libunbound()
        self._ctx = self._lib.ub_ctx_create()
        if not self._ctx:
            raise RuntimeError("ub_ctx_create failed")
        err = self._lib.ub_ctx_config(self._ctx, conf.encode())
        if err:
            raise RuntimeError(f"ub_ctx_config {conf}: {self._lib.ub_strerror(err).decode()}")

    def resolve(self, name, rdtype):
        t = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
        res = ctypes.POINTER(_Result)()
        t0 = time.monotonic()
        err = self._lib.ub_resolve(self._ctx, name.encode(), int(t), 1, ctypes.byref(res))
        seconds = time.monotonic() - t0
        if err:
            raise RuntimeError(f"ub_resolve {name}/{rdtype}: {self._lib.ub_strerror(err).decode()}")
        try:
            r = res.contents
            records, cname = [], []
            if r.answer_packet and r.answer_len:
                msg = dns.message.from_wire(ctypes.string_at(r.answer_packet, r.answer_len))
                for rrset in msg.answer:
                    if rrset.rdtype == t:
                        records += [rd.to_text() for rd in rrset]
                    elif rrset.rdtype == dns.rdatatype.CNAME:
                        cname += [rd.target.to_text() for rd in rrset]
            return Answer(name=name, rdtype=dns.rdatatype.to_text(t), rcode=r.rcode,
                          havedata=bool(r.havedata), secure=bool(r.secure), bogus=bool(r.bogus),
                          why_bogus=(r.why_bogus or b"").decode(errors="replace"),
                          seconds=round(seconds, 4), records=sorted(records), cname=cname)
        finally:
            self._lib.ub_resolve_free(res)

    def close(self):
        if self._ctx:
            self._lib.ub_ctx_delete(self._ctx)
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def main(argv):
    with Resolver(argv[0]) as ctx:
        for q in argv[1:]:
            name, rdtype = q.rsplit("/", 1)
            print(json.dumps(ctx.resolve(name, rdtype).info()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
