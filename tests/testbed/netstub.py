# SPDX-License-Identifier: BSD-3-Clause
"""Stand-ins for authoritative servers on other loopback addresses, run by the bed as their own
processes (stopped by pid like named and Prosody):

  netstub.py relay ADDRESS PORT BACKEND_PORT   forward DNS over UDP and TCP from ADDRESS:PORT
                                               to a named on 127.0.0.1:BACKEND_PORT
  netstub.py blackhole ADDRESS PORT            read UDP datagrams and accept TCP connections
                                               on ADDRESS:PORT, and never answer

named can listen only on 127.0.0.1 on these machines (NOTES.md), but every authoritative address
the bed publishes must answer on the one port the bed's named uses. Both modes log one line per
datagram or connection ("udp FROM LEN", "tcp FROM"), and "ready" once they listen. Standard
library only; everything stays on loopback."""

import asyncio
import signal
import sys
import time

UDP_IDLE = 30.0  # seconds an upstream socket of one client lives without traffic


def log(*words):
    print(f"{time.strftime('%H:%M:%S')} {' '.join(str(w) for w in words)}", flush=True)


# --- relay ----------------------------------------------------------------------------------

class _Upstream(asyncio.DatagramProtocol):
    """One client's socket towards the backend: answers go back to that client."""

    def __init__(self, listener, client):
        self.listener = listener
        self.client = client
        self.transport = None
        self.last = time.monotonic()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.last = time.monotonic()
        self.listener.transport.sendto(data, self.client)

    def error_received(self, exc):  # backend not up yet (ECONNREFUSED): the client times out
        log("udp backend error", exc)

    def connection_lost(self, exc):
        self.listener.upstreams.pop(self.client, None)


class _UdpRelay(asyncio.DatagramProtocol):
    def __init__(self, backend):
        self.backend = backend
        self.transport = None
        self.upstreams = {}  # client address -> _Upstream (or a future while it connects)

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        log("udp", f"{addr[0]}:{addr[1]}", len(data))
        asyncio.ensure_future(self._forward(data, addr))

    async def _forward(self, data, client):
        up = self.upstreams.get(client)
        if up is None:
            loop = asyncio.get_running_loop()
            fut = loop.create_future()
            self.upstreams[client] = fut
            try:
                _, up = await loop.create_datagram_endpoint(lambda: _Upstream(self, client),
                                                            remote_addr=self.backend)
            except OSError as e:
                log("udp backend connect failed", e)
                self.upstreams.pop(client, None)
                fut.set_result(None)
                return
            self.upstreams[client] = up
            fut.set_result(up)
        elif isinstance(up, asyncio.Future):
            up = await up
            if up is None:
                return
        up.last = time.monotonic()
        up.transport.sendto(data)

    async def reap(self):
        while True:
            await asyncio.sleep(UDP_IDLE / 3)
            now = time.monotonic()
            for client, up in list(self.upstreams.items()):
                if isinstance(up, _Upstream) and now - up.last > UDP_IDLE:
                    up.transport.close()


async def _pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def _relay(address, port, backend_port):
    loop = asyncio.get_running_loop()
    backend = ("127.0.0.1", backend_port)
    udp = _UdpRelay(backend)
    await loop.create_datagram_endpoint(lambda: udp, local_addr=(address, port))

    async def on_tcp(reader, writer):
        peer = writer.get_extra_info("peername")
        log("tcp", f"{peer[0]}:{peer[1]}")
        try:
            up_reader, up_writer = await asyncio.open_connection(*backend)
        except OSError as e:
            log("tcp backend connect failed", e)
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(on_tcp, address, port, reuse_address=True)
    log("ready", "relay", f"{address}:{port}", "->", f"{backend[0]}:{backend[1]}")
    asyncio.ensure_future(udp.reap())
    async with server:
        await server.serve_forever()


# --- black hole -----------------------------------------------------------------------------

class _UdpSink(asyncio.DatagramProtocol):
    def datagram_received(self, data, addr):
        log("udp", f"{addr[0]}:{addr[1]}", len(data))


async def _blackhole(address, port):
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(_UdpSink, local_addr=(address, port))

    async def on_tcp(reader, writer):
        peer = writer.get_extra_info("peername")
        log("tcp", f"{peer[0]}:{peer[1]}")
        try:
            while await reader.read(65536):  # swallow the query, keep the connection, say nothing
                pass
        except (ConnectionError, OSError):
            pass
        writer.close()

    server = await asyncio.start_server(on_tcp, address, port, reuse_address=True)
    log("ready", "blackhole", f"{address}:{port}")
    async with server:
        await server.serve_forever()


def main(argv):
    mode, address, port = argv[0], argv[1], int(argv[2])
    if not address.startswith("127."):
        raise SystemExit(f"netstub: {address} is not a loopback address")
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(_relay(address, port, int(argv[3])) if mode == "relay"
                                 else _blackhole(address, port))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, main_task.cancel)
    try:
        loop.run_until_complete(main_task)
    except asyncio.CancelledError:
        log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
