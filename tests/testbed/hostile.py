# SPDX-License-Identifier: BSD-3-Clause
"""Hostile XMPP peers: small asyncio servers, each misbehaving in one way, run by the bed as their
own processes (one per behaviour, stopped by pid like named and Prosody):

  hostile.py BEHAVIOUR --address A [--address A]... --port SERVICE=PORT... --certs DIR
             --default-cert CHAIN --default-key KEY

SERVICE is xmpp-client / xmpp-server (STARTTLS: plain XMPP first) or xmpps-client /
xmpps-server (Direct TLS, XEP-0368: TLS at once). Where a behaviour completes a TLS handshake it
presents `DIR/<SNI>.crt` with `DIR/<SNI>.key` (the bed links each domain's certificate there
under the domain, its MUC and its SRV target), the default certificate without SNI or for an
unknown name. Like Prosody 0.12, the peers negotiate no ALPN.

Every connection ends when the client goes, after MAX_LIFETIME seconds, or when the behaviour
closes it; endless senders write CHUNK bytes per TICK and wait for the socket to drain, so a
client that stops reading costs nothing. One log line per connection and per ending, and
"ready" once every port listens. Standard library only; loopback addresses only.

This file is also imported by the bed (BEHAVIOURS): keep it free of side effects on import."""

import argparse
import asyncio
import itertools
import os
import re
import signal
import ssl
import sys
import time
import warnings
from collections import namedtuple
from xml.sax.saxutils import escape

SERVICES = ("xmpp-client", "xmpp-server", "xmpps-client", "xmpps-server")
STARTTLS_SERVICES = ("xmpp-client", "xmpp-server")
DIRECT_SERVICES = ("xmpps-client", "xmpps-server")

# services: where the peer listens (the bed points the domain's other services at Prosody).
# tls: whether a client gets as far as a certificate, for a STARTTLS and a Direct TLS port.
Behaviour = namedtuple("Behaviour", "services tls what")
BEHAVIOURS = {
    "silent": Behaviour(SERVICES, {"starttls": False, "direct": False},
                        "accepts TCP and never sends a byte (reads and discards until the "
                        "client goes)"),
    "endless-xml": Behaviour(SERVICES, {"starttls": False, "direct": True},
                             "answers the stream header with a valid header, then XML elements "
                             "and whitespace forever (4 KiB every 100 ms), never stream features; "
                             "on Direct TLS the same inside TLS"),
    "huge-features": Behaviour(SERVICES, {"starttls": True, "direct": True},
                               "sends stream features of 4 MiB (padding elements, <starttls/> "
                               "last); a client that reads them all and asks gets <proceed/> and "
                               "TLS; on Direct TLS the same features (without <starttls/>) inside "
                               "TLS"),
    "no-starttls": Behaviour(STARTTLS_SERVICES, {"starttls": False, "direct": False},
                             "sends stream features without <starttls/> (SASL mechanisms, or "
                             "dialback for s2s); a <starttls/> sent anyway gets <failure/>"),
    "starttls-failure": Behaviour(STARTTLS_SERVICES, {"starttls": False, "direct": False},
                                  "offers <starttls/> and answers it with "
                                  "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>, then "
                                  "closes the stream and the connection"),
    "close-after-proceed": Behaviour(STARTTLS_SERVICES, {"starttls": False, "direct": False},
                                     "offers <starttls/>, answers <proceed/> and closes the "
                                     "connection at once"),
    "garbage-tls": Behaviour(SERVICES, {"starttls": False, "direct": False},
                             "answers <starttls/> with <proceed/> and the ClientHello with 4 KiB "
                             "of text instead of a ServerHello; on Direct TLS the same text at "
                             "once"),
    "https": Behaviour(DIRECT_SERVICES, {"starttls": False, "direct": True},
                       "is a TLS server with the domain's certificate that speaks HTTP/1.1: 200 to "
                       "a GET, 400 Bad Request at once to anything else (as nginx answers an XMPP "
                       "stream header), then closes"),
    "huge-chain": Behaviour(SERVICES, {"starttls": False, "direct": False},
                            "a well-behaved XMPP server whose TLS certificate message is over "
                            "256 KiB (the leaf, then its CA repeated), beyond what clients accept "
                            "(OpenSSL's limit is 100 KiB)"),
    "old-tls": Behaviour(SERVICES, {"starttls": True, "direct": True},
                         "a well-behaved XMPP server that speaks TLS 1.0 and 1.1 only"),
    "stream-error": Behaviour(SERVICES, {"starttls": False, "direct": True},
                              "answers the stream header with <stream:error><host-unknown/>"
                              "</stream:error></stream:stream> and closes; on Direct TLS the same "
                              "inside TLS"),
}

MAX_LIFETIME = 120.0  # seconds a connection may live
MAX_CONNECTIONS = 256  # beyond this, new connections are closed at once
HEADER_LIMIT = 64 * 1024  # bytes of client data before its stream header (or request) is given up
READ_TIMEOUT = 30.0  # seconds to wait for the client's next step
TICK = 0.1  # seconds between two chunks of an endless sender
CHUNK = 4096  # bytes per tick
HUGE_FEATURES = 4 * 1024 * 1024  # bytes of stream features (padding)
GARBAGE = 4096  # bytes of non-TLS text
HUGE_CHAIN = 256 * 1024  # bytes of PEM in a huge-chain peer's certificate chain

NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
STARTTLS = f"<starttls xmlns='{NS_TLS}'><required/></starttls>"
PROCEED = f"<proceed xmlns='{NS_TLS}'/>".encode()
FAILURE = f"<failure xmlns='{NS_TLS}'/></stream:stream>".encode()
STREAM_ERROR = ("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                "</stream:error></stream:stream>").encode()

_HEADER_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?stream\b[^>]*>", re.S)
_ATTR_RE = re.compile(r"([A-Za-z_][\w.:-]*)\s*=\s*(['\"])(.*?)\2", re.S)
_STARTTLS_RE = re.compile(rb"<starttls\b")
_HTTP_REQUEST_RE = re.compile(rb"^[A-Z]{1,16} \S+ HTTP/1\.[01]\r?\n")
_ids = itertools.count(1)


def log(*words):
    print(f"{time.strftime('%H:%M:%S')} {' '.join(str(w) for w in words)}", flush=True)


class Done(Exception):
    """The connection ends here (the client went, timed out or sent nonsense)."""


class Conn:
    """One client connection: its streams, service, what it sent so far and how much we sent."""

    def __init__(self, behaviour, service, reader, writer, tls_ctx):
        self.behaviour = behaviour
        self.service = service
        self.reader = reader
        self.writer = writer
        self.tls_ctx = tls_ctx
        self.buf = b""
        self.sent = 0
        self.tls = service in DIRECT_SERVICES
        self.gone = False  # the client closed (seen by watch_eof)

    async def read_more(self, timeout=READ_TIMEOUT):
        try:
            data = await asyncio.wait_for(self.reader.read(16384), timeout)
        except asyncio.TimeoutError:
            raise Done("client silent") from None
        except (ConnectionError, OSError, ssl.SSLError) as e:
            raise Done(f"read: {e}") from None
        if not data:
            raise Done("client closed")
        self.buf += data
        if len(self.buf) > HEADER_LIMIT:
            raise Done("too much client data")

    async def send(self, data):
        try:
            self.writer.write(data)
            await self.writer.drain()
        except (ConnectionError, OSError, ssl.SSLError) as e:
            raise Done(f"write: {e}") from None
        self.sent += len(data)

    async def read_header(self):
        """The client's stream header: its attributes; consumes it from the buffer."""
        while True:
            m = _HEADER_RE.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                text = m.group(0).decode("utf-8", "replace")
                return {k: v for k, _, v in _ATTR_RE.findall(text)}
            await self.read_more()

    async def wait_for(self, pattern):
        while not pattern.search(self.buf):
            await self.read_more()
        self.buf = b""

    async def discard_until_eof(self):
        """Read and forget whatever the client sends until it goes."""
        while True:
            try:
                data = await self.reader.read(65536)
            except (ConnectionError, OSError, ssl.SSLError) as e:
                raise Done(f"read: {e}") from None
            if not data:
                raise Done("client closed")

    async def header_reply(self, attrs):
        ns = attrs.get("xmlns", "jabber:client")
        if ns not in ("jabber:client", "jabber:server"):
            ns = "jabber:client"
        origin = escape(attrs.get("to", "localhost"), {"'": "&apos;", '"': "&quot;"})
        await self.send((f"<?xml version='1.0'?><stream:stream xmlns='{ns}' "
                         f"xmlns:stream='{NS_STREAM}' id='testbed-{next(_ids)}' from='{origin}' "
                         f"version='1.0' xml:lang='en'>").encode())
        return ns

    def features(self, ns, starttls):
        """Small, ordinary stream features (what Prosody offers before and after TLS)."""
        if ns == "jabber:server":
            inner = "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
        else:
            inner = ("<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                     "<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"
                     "</mechanisms>")
        return (f"<stream:features>{STARTTLS if starttls else ''}{inner}"
                "</stream:features>").encode()

    async def start_tls(self):
        try:
            await asyncio.wait_for(self.writer.start_tls(self.tls_ctx), READ_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, OSError, ssl.SSLError) as e:
            raise Done(f"TLS: {e!r}") from None
        self.tls = True

    async def watch_eof(self, task):
        """Cancel `task` (an endless sender) once the client goes."""
        try:
            await self.discard_until_eof()
        except Done:
            pass
        self.gone = True
        task.cancel()


# --- behaviours ----------------------------------------------------------------------------

async def silent(c):
    await c.discard_until_eof()


async def endless_xml(c):
    ns = await c.header_reply(await c.read_header())
    noise = (f"<testbed:noise xmlns:testbed='urn:xdane:testbed' xmlns='{ns}'>"
             "these are not stream features</testbed:noise>\n  ").encode()
    chunk = noise * (CHUNK // len(noise)) + b" " * (CHUNK % len(noise))

    async def send_forever():
        while True:
            await c.send(chunk)
            await asyncio.sleep(TICK)
    sender = asyncio.ensure_future(send_forever())
    watcher = asyncio.ensure_future(c.watch_eof(sender))
    try:
        await sender
    except asyncio.CancelledError:
        if not c.gone:
            raise  # our own end (lifetime, shutdown)
        raise Done("client closed") from None
    finally:
        watcher.cancel()


async def _huge_features(c, ns, starttls):
    pad = ("<padding xmlns='urn:xdane:testbed:padding'>" + "x" * 960 + "</padding>\n").encode()
    await c.send(b"<stream:features>")
    block = pad * 64  # ~64 KiB a write, drained each time
    for _ in range(-(-HUGE_FEATURES // len(block))):  # at least HUGE_FEATURES bytes
        await c.send(block)
    await c.send(c.features(ns, starttls)[len(b"<stream:features>"):])


async def huge_features(c):
    ns = await c.header_reply(await c.read_header())
    await _huge_features(c, ns, starttls=not c.tls)
    if not c.tls:
        await c.wait_for(_STARTTLS_RE)
        await c.send(PROCEED)
        await c.start_tls()
        c.buf = b""
        ns = await c.header_reply(await c.read_header())
        await _huge_features(c, ns, starttls=False)
    await c.discard_until_eof()


async def no_starttls(c):
    ns = await c.header_reply(await c.read_header())
    await c.send(c.features(ns, starttls=False))
    await c.wait_for(_STARTTLS_RE)
    await c.send(FAILURE)
    raise Done("starttls refused")


async def starttls_failure(c):
    ns = await c.header_reply(await c.read_header())
    await c.send(c.features(ns, starttls=True))
    await c.wait_for(_STARTTLS_RE)
    await c.send(FAILURE)
    raise Done("sent <failure/>")


async def close_after_proceed(c):
    ns = await c.header_reply(await c.read_header())
    await c.send(c.features(ns, starttls=True))
    await c.wait_for(_STARTTLS_RE)
    await c.send(PROCEED)
    raise Done("closed after <proceed/>")


def _garbage():
    line = b"garbage from the xdane test bed, not a TLS record\r\n"
    return (line * (GARBAGE // len(line) + 1))[:GARBAGE]


async def garbage_tls(c):
    if c.service in STARTTLS_SERVICES:
        ns = await c.header_reply(await c.read_header())
        await c.send(c.features(ns, starttls=True))
        await c.wait_for(_STARTTLS_RE)
        await c.send(PROCEED)
        # Answer the ClientHello, not <proceed/>'s read: a client reading the socket in
        # chunks might swallow garbage sent with <proceed/> and then wait for a ServerHello.
        await c.read_more()
    await c.send(_garbage())
    await c.discard_until_eof()


async def https(c):
    while b"\n" not in c.buf and len(c.buf) < 16:
        await c.read_more()
    if _HTTP_REQUEST_RE.match(c.buf):
        while b"\r\n\r\n" not in c.buf and b"\n\n" not in c.buf:
            await c.read_more()
        status, body = "200 OK", "<html><body><h1>It works</h1></body></html>\n"
    else:
        status = "400 Bad Request"
        body = ("<html><head><title>400 Bad Request</title></head><body><center><h1>400 Bad "
                "Request</h1></center><hr><center>testbed-https</center></body></html>\n")
    await c.send((f"HTTP/1.1 {status}\r\nServer: testbed-https\r\nContent-Type: text/html\r\n"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}").encode())
    raise Done(f"HTTP {status.split()[0]}")


async def stream_error(c):
    await c.header_reply(await c.read_header())
    await c.send(STREAM_ERROR)
    raise Done("sent <stream:error/>")


async def huge_chain(c):
    """A normal exchange (huge-chain: the handshake is where a client gives up; old-tls: it
    gets TLS 1.1)."""
    ns = await c.header_reply(await c.read_header())
    if not c.tls:
        await c.send(c.features(ns, True))
        await c.wait_for(_STARTTLS_RE)
        await c.send(PROCEED)
        await c.start_tls()
        c.buf = b""
        ns = await c.header_reply(await c.read_header())
    await c.send(c.features(ns, False))
    await c.discard_until_eof()


HANDLERS = {"huge-chain": huge_chain, "old-tls": huge_chain, "silent": silent, "endless-xml": endless_xml, "huge-features": huge_features,
            "no-starttls": no_starttls, "starttls-failure": starttls_failure,
            "close-after-proceed": close_after_proceed, "garbage-tls": garbage_tls,
            "https": https, "stream-error": stream_error}


# --- TLS: the certificate by SNI ------------------------------------------------------------

class Certs:
    """Server contexts by SNI: DIR/<name>.crt and .key, loaded on first use (reloaded when the
    file changes); the default context without SNI or for a name without files."""

    def __init__(self, directory, default_cert, default_key, huge=False, old_tls=False):
        self.dir = directory
        self.cache = {}
        self.huge = huge
        self.old_tls = old_tls
        self.default = self._context(default_cert, default_key)
        self.default.sni_callback = self._on_sni

    def _context(self, chain, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self._huge_chain(chain) if self.huge else chain, key)
        if self.old_tls:
            with warnings.catch_warnings():  # deprecated: that is the point of this peer
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        return ctx

    @staticmethod
    def _huge_chain(chain):
        """The chain with its last certificate (the CA) repeated past HUGE_CHAIN bytes."""
        with open(chain) as f:
            pem = f.read()
        certs = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", pem,
                           re.S)
        pad = certs[-1] if certs[-1].endswith("\n") else certs[-1] + "\n"
        path = chain + ".huge"
        with open(path, "w") as f:
            f.write(pem if pem.endswith("\n") else pem + "\n")
            f.write(pad * (HUGE_CHAIN // len(pad) + 1))
        return path

    def _on_sni(self, sslobj, name, _ctx):
        if not name or "/" in name or name.startswith("."):
            return None
        chain = os.path.join(self.dir, name.lower() + ".crt")
        try:
            stamp = os.stat(chain).st_mtime_ns
        except OSError:
            return None  # the default certificate
        cached = self.cache.get(name)
        if cached is None or cached[0] != stamp:
            try:
                cached = (stamp, self._context(chain, chain[:-4] + ".key"))
            except (OSError, ssl.SSLError) as e:
                log("sni", name, "cannot load", e)
                return None
            self.cache[name] = cached
        sslobj.context = cached[1]
        return None


# --- server ---------------------------------------------------------------------------------

async def serve(args):
    certs = Certs(args.certs, args.default_cert, args.default_key,
                  huge=args.behaviour == "huge-chain", old_tls=args.behaviour == "old-tls")
    behaviour = BEHAVIOURS[args.behaviour]
    handler = HANDLERS[args.behaviour]
    active = set()

    def on_connect(service):
        async def run(reader, writer):
            peer = writer.get_extra_info("peername")
            who = f"[{peer[0]}]:{peer[1]}" if peer else "?"
            if len(active) >= MAX_CONNECTIONS:
                log("refused", service, who, "too many connections")
                writer.close()
                return
            task = asyncio.current_task()
            active.add(task)
            c = Conn(args.behaviour, service, reader, writer, certs.default)
            log("conn", service, who)
            reason = "done"
            try:
                await asyncio.wait_for(handler(c), MAX_LIFETIME)
            except Done as e:
                reason = str(e)
            except asyncio.TimeoutError:
                reason = "lifetime over"
            except (ConnectionError, OSError, ssl.SSLError) as e:
                reason = f"error: {e!r}"
            finally:
                active.discard(task)
                try:
                    writer.close()
                except Exception:
                    pass
            log("end", service, who, f"sent={c.sent}", reason)
        return run

    servers = []
    for service, port in args.port:
        # A TLS listener only where this behaviour completes TLS on Direct TLS ports.
        tls = certs.default if (service in DIRECT_SERVICES and (
            behaviour.tls["direct"] or args.behaviour == "huge-chain")) else None
        for address in args.address:
            servers.append(await asyncio.start_server(
                on_connect(service), address, port, reuse_address=True, ssl=tls,
                ssl_handshake_timeout=READ_TIMEOUT if tls else None))
    log("ready", args.behaviour, " ".join(f"{s}={p}" for s, p in args.port),
        " ".join(args.address))
    await asyncio.gather(*(s.serve_forever() for s in servers))


def _service_port(text):
    service, _, port = text.partition("=")
    if service not in SERVICES or not port.isdigit():
        raise argparse.ArgumentTypeError(f"want SERVICE=PORT, SERVICE one of {SERVICES}")
    return service, int(port)


def main(argv):
    p = argparse.ArgumentParser(prog="hostile.py", description=__doc__.split("\n\n")[0])
    p.add_argument("behaviour", choices=sorted(BEHAVIOURS))
    p.add_argument("--address", action="append", required=True)
    p.add_argument("--port", action="append", type=_service_port, required=True)
    p.add_argument("--certs", required=True)
    p.add_argument("--default-cert", required=True)
    p.add_argument("--default-key", required=True)
    args = p.parse_args(argv)
    for a in args.address:
        if not (a.startswith("127.") or a == "::1"):
            p.error(f"{a} is not a loopback address")
    loop = asyncio.new_event_loop()
    # TLS handshake failures of clients are expected here: keep them out of the log.
    loop.set_exception_handler(lambda _loop, ctx: log("asyncio", ctx.get("message"),
                                                      repr(ctx.get("exception"))))
    main_task = loop.create_task(serve(args))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
