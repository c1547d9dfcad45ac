# SPDX-License-Identifier: BSD-3-Clause
"""The bed's side of the hostile peers (hostile.py): one process per behaviour, started on the
first fault that needs it, on a loopback address of its own (127.0.0.10 and up, and ::1) with a
port per service it serves; it presents the certificates the bed links into its directory."""

import os
import sys

from .hostile import BEHAVIOURS, DIRECT_SERVICES
from .proc import BedError, Server, free_port, read_tail

# A fixed address per behaviour, so that a finding's address tells which peer it was.
FIRST_ADDRESS = 10
PEER_ADDRESSES = {b: f"127.0.0.{FIRST_ADDRESS + i}" for i, b in enumerate(BEHAVIOURS)}
PREFIX = "peer-"  # server names of peers in targets and Domain.certs: "peer-silent", ...


def is_peer(server):
    return server.startswith(PREFIX)


def behaviour_of(server):
    b = server[len(PREFIX):]
    if b not in BEHAVIOURS:
        raise BedError(f"no hostile peer {server!r}; known: "
                       f"{', '.join(PREFIX + x for x in BEHAVIOURS)}")
    return b


class Peer:
    """One hostile peer process: `name` ("peer-silent"), `behaviour`, `addresses`
    (127.0.0.x and ::1), `ports` (service -> port, only the services it serves), `certs_dir`
    (files <host>.crt/.key it presents by SNI), `default_cert` (without SNI)."""

    def __init__(self, behaviour, directory, ca, log_path):
        self.behaviour = behaviour
        self.name = PREFIX + behaviour
        self.what = BEHAVIOURS[behaviour].what
        self.dir = os.path.abspath(directory)
        self.certs_dir = os.path.join(self.dir, "certs")
        os.makedirs(self.certs_dir, exist_ok=True)
        self.addresses = [PEER_ADDRESSES[behaviour], "::1"]
        self.ports = {s: free_port(tuple(self.addresses)) for s in BEHAVIOURS[behaviour].services}
        self.log_path = log_path
        self.default_cert = ca.issue(f"{self.name}-default", cn=f"{behaviour}.peers.example",
                                     dns=[f"{behaviour}.peers.example"],
                                     out_dir=os.path.join(self.dir, "default"))
        self.server = None

    def presents_cert(self, service):
        """Whether a client reaches a certificate on `service` of this peer."""
        return BEHAVIOURS[self.behaviour].tls["direct" if service in DIRECT_SERVICES
                                               else "starttls"]

    def add_cert(self, host, cert):
        """Present `cert` (a pki.Cert) to clients sending SNI `host` (links its chain and key)."""
        for src, ext in ((cert.chain, ".crt"), (cert.key, ".key")):
            link = os.path.join(self.certs_dir, host.lower() + ext)
            tmp = link + ".tmp"
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(src, tmp)
            os.replace(tmp, link)

    def start(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.py")
        argv = [sys.executable, "-I", script, self.behaviour, "--certs", self.certs_dir,
                "--default-cert", self.default_cert.chain, "--default-key", self.default_cert.key]
        for a in self.addresses:
            argv += ["--address", a]
        for service, port in self.ports.items():
            argv += ["--port", f"{service}={port}"]
        open(self.log_path, "w").close()
        self.server = Server(self.name, argv, log_path=self.log_path).start()
        return self

    def wait_ready(self, timeout=10.0):
        # "ready" is logged once every port listens on every address.
        self.server.wait_until(lambda: "ready" in read_tail(self.log_path, 5), "ready",
                               timeout=timeout)

    @property
    def pid(self):
        return self.server.pid if self.server else None

    def info(self):
        return {"name": self.name, "behaviour": self.behaviour, "what": self.what,
                "pid": self.pid, "addresses": list(self.addresses), "ports": dict(self.ports),
                "certs_dir": self.certs_dir, "default_cert": self.default_cert.chain,
                "log": self.log_path}

    def stop(self, timeout=5.0):
        if self.server:
            self.server.stop(timeout)
