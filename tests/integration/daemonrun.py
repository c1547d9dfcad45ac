# SPDX-License-Identifier: BSD-3-Clause
"""Runs xdaned against the test bed for the integration tests: writes its config (the bed's
resolver with a short cache, CA, name server port; a state db, control socket and HTTP port of
its own), starts it, talks to it over HTTP and the control socket, and stops it by pid. Also a
webhook receiver that records what it is sent."""

import calendar
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from xdanebin import SANITIZER_MARKS

# An exec hook that appends one JSON line per call: the XDANE_* environment and stdin.
HOOK_SCRIPT = """#!/usr/bin/python3
import json, os, sys
event = sys.stdin.read()
env = {k: v for k, v in os.environ.items() if k.startswith("XDANE_")}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps({"env": env, "stdin": json.loads(event)}) + "\\n")
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A webhook receiver on 127.0.0.1: records every POST (path, headers, JSON body) and
    answers `status` (settable, e.g. 500 to make deliveries fail)."""

    def __init__(self):
        self.posts = []
        self.status = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.posts.append({"path": self.path, "type": self.headers.get(
                        "Content-Type"), "body": json.loads(body)})
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self):
        with self.lock:
            return [p["body"] for p in self.posts]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def logs_on_failure(*processes, extra=None):
    """On a failure, prints the tail of each process's log (anything with `log_path` and
    `log_text()`: Xdaned, a LoopbackServer) and `extra()` if given; pytest shows them with the
    failed test."""
    try:
        yield
    except BaseException:
        for p in processes:
            print(f"--- {type(p).__name__} log ({p.log_path}) ---\n{p.log_text()[-8000:]}")
        if extra is not None:
            print(extra())
        raise


class LoopbackServer:
    """A server of the Prometheus family (prometheus, prometheus-alertmanager) of a test's own:
    its config and data under `directory`, its log there, listening on 127.0.0.1 at an
    ephemeral port, ready once GET /-/ready answers 200, stopped by pid. Subclasses say how
    to run it (`argv`)."""

    name = "server"

    def __init__(self, directory, config_text):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.config = os.path.join(self.dir, f"{self.name}.yml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.dir, f"{self.name}.log")
        self.port = free_port()
        self.proc = None

    def argv(self):
        raise NotImplementedError

    def start(self, timeout=30):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv(), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n"
                                     f"{self.log_text()}")
            try:
                if self.get("/-/ready")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} not ready within {timeout} s:\n{self.log_text()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def get(self, path):
        """(status, body text) of GET path."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.status, r.read().decode()


class Xdaned:
    """One xdaned with its own directory. `domains` maps a domain to the text inside its
    `domain "NAME" { ... }` block."""

    def __init__(self, xdane, bed, directory, domains, *, interval=2, consecutive=1,
                 webhook=None, webhook_format="webhook", exec_hook=True, extra=""):
        self.xdane, self.bed, self.dir = xdane, bed, str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.state_db = os.path.join(self.dir, "state.db")
        self.socket = os.path.join(self.dir, "control.sock")
        self.hook_log = os.path.join(self.dir, "hook.jsonl")
        self.log_path = os.path.join(self.dir, "xdaned.log")
        self.port = free_port()
        self.proc = None
        self.env = None  # the environment xdaned starts with (None: ours)
        self.unbound_conf = os.path.join(self.dir, "unbound.conf")
        with open(bed.unbound_conf) as f:
            text = f.read()
        # Tests break and repair zones: a daemon's warm cache must not hide that for 300 s.
        with open(self.unbound_conf, "w") as f:
            f.write(text + "\nserver:\n\tcache-max-ttl: 1\n")
        hook = os.path.join(self.dir, "hook.py")
        with open(hook, "w") as f:
            f.write(HOOK_SCRIPT)
        os.chmod(hook, 0o755)
        alert = [f"consecutive = {consecutive}"]
        if exec_hook:
            alert.append(f'exec = {{"{hook}", "{self.hook_log}"}}')
        if webhook:
            alert.append(f'webhook = "{webhook}"')
            alert.append(f'webhook-format = "{webhook_format}"')
        blocks = "\n".join(f'domain "{d}" {{ {body} }}' for d, body in domains.items())
        self.config = os.path.join(self.dir, "xdane.conf")
        self.write_config(f"""
resolver-config = "{self.unbound_conf}"
ca-file = "{bed.ca.cert}"
auth-port = {bed.named.port}
state-db = "{self.state_db}"
control-socket = "{self.socket}"
interval = {interval}
timeout = 20
connect-timeout = 2
probe-timeout = 2
http {{ listen = "127.0.0.1:{self.port}" }}
alert {{ {" ".join(alert)} }}
{extra}
{blocks}
""")

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    # --- process ------------------------------------------------------------------------

    def start(self, timeout=20):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([str(self.xdane.xdaned), "-c", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"xdaned exited with {self.proc.returncode}:\n"
                                     f"{self.log_text()}")
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"xdaned not healthy within {timeout} s:\n{self.log_text()}")

    def stop(self, timeout=20):
        """SIGTERM; asserts a clean exit (0) and no sanitizer report in the log."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"xdaned did not stop within {timeout} s:\n{self.log_text()}")
        self.log.close()
        text = self.log_text()
        for mark in SANITIZER_MARKS:
            assert mark not in text, f"sanitizer report:\n{text}"
        assert rc == 0, f"xdaned exited with {rc}:\n{text}"
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self.log.close()

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    # --- talking to it -------------------------------------------------------------------

    def get(self, path, method="GET", data=None, headers=None):
        """(status, body text) of an HTTP request to the TCP listener."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def get_raw(self, path, method="GET", headers=None):
        """(status, headers, body bytes as sent) of a request to the TCP listener."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def json(self, path):
        status, body = self.get(path)
        assert status == 200, f"GET {path}: {status} {body}"
        return json.loads(body)

    def ctl(self, *args, timeout=30):
        """Runs `xdane ARGS --control-socket SOCKET`; returns CompletedProcess."""
        return self.xdane.run(*args, "--control-socket", self.socket, timeout=timeout)

    def hook_calls(self):
        if not os.path.exists(self.hook_log):
            return []
        with open(self.hook_log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def report(self, domain):
        return self.json(f"/status/{domain}")

    def wait(self, what, predicate, timeout=30, interval=0.2):
        """Polls predicate() until it returns something true; returns it."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = predicate()
            except (OSError, KeyError, ValueError, AssertionError) as e:
                last = e
            if last and not isinstance(last, Exception):
                return last
            time.sleep(interval)
        raise AssertionError(f"timed out waiting for {what} (last: {last!r})\n"
                             f"{self.log_text()[-4000:]}")

    def checked_after(self, domain, t):
        """The domain's report once it was checked at or after unix time t."""
        def fresh():
            r = self.report(domain)
            at = r.get("checked_at")
            return r if at and calendar.timegm(time.strptime(at, "%Y-%m-%dT%H:%M:%SZ")) >= \
                int(t) else None
        return self.wait(f"a check of {domain} after {t}", fresh)
