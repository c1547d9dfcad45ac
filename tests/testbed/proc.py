# SPDX-License-Identifier: BSD-3-Clause
"""Process plumbing for the test bed: bounded subprocess calls, free loopback ports, and
long-running servers that are stopped by their own pid (SIGTERM, then SIGKILL) and keep a log."""

import ctypes
import errno
import os
import signal
import socket
import subprocess
import threading
import time

LOG_TAIL_LINES = 60


class BedError(RuntimeError):
    """Something the bed needed failed; the message names it and carries the relevant log tail."""


def tail(text, lines=LOG_TAIL_LINES):
    """The last `lines` lines of `text`."""
    return "\n".join(text.splitlines()[-lines:])


def read_tail(path, lines=LOG_TAIL_LINES):
    """The last `lines` lines of the file at `path`, or a note that it does not exist."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return tail(f.read(), lines)
    except FileNotFoundError:
        return f"({path} does not exist)"


def run(argv, *, timeout=30, cwd=None, input=None, check=True):
    """Run argv (no shell) with a timeout; return the CompletedProcess (text mode).

    A non-zero exit (when `check`) or a timeout raises BedError with the command and its output.
    """
    argv = [str(a) for a in argv]
    try:
        cp = subprocess.run(argv, cwd=cwd, input=input, capture_output=True, text=True,
                            timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise BedError(f"timed out after {timeout}s: {' '.join(argv)}\n"
                       f"{tail(str(e.stdout or ''))}\n{tail(str(e.stderr or ''))}") from None
    except FileNotFoundError as e:
        raise BedError(f"cannot run {argv[0]}: {e}") from None
    if check and cp.returncode != 0:
        raise BedError(f"exit {cp.returncode}: {' '.join(argv)}\n"
                       f"stdout:\n{tail(cp.stdout)}\nstderr:\n{tail(cp.stderr)}")
    return cp


_ports_lock = threading.Lock()
_ports_given = set()


def _port_is_free(port, hosts, udp):
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    for host in hosts:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for kind in kinds:
            s = socket.socket(family, kind)
            try:
                if kind == socket.SOCK_STREAM:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def free_port(hosts=("127.0.0.1", "::1"), udp=False):
    """A port number above 1024 that is free for TCP (and UDP if `udp`) on every address in `hosts`.

    The kernel picks a candidate on the first address; the others are checked. Ports handed out
    by this process are never handed out twice, so one bed's servers never collide.
    """
    for _ in range(200):
        family = socket.AF_INET6 if ":" in hosts[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        with _ports_lock:
            if port in _ports_given or not _port_is_free(port, hosts, udp):
                continue
            _ports_given.add(port)
            return port
    raise BedError(f"no free port on {hosts}")


def port_open(host, port, timeout=0.2):
    """Whether a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # The server gets SIGTERM if the thread that started it dies (a crashed or killed pytest),
    # so no orphaned named or Prosody outlives its bed. Runs in the child between fork and exec.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Server:
    """One long-running server process owned by the bed.

    It is started in its own session (a Ctrl-C in the terminal reaches the bed, not the server),
    its stdout and stderr go to `stdout_path`, and `log_path` is the log it writes itself (may be
    the same file). `stop()` signals only this pid.
    """

    def __init__(self, name, argv, *, log_path, stdout_path=None, cwd=None, env=None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = str(log_path)
        self.stdout_path = str(stdout_path or log_path)
        self.cwd = cwd
        self.env = env
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        with open(self.stdout_path, "ab") as out:
            try:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=subprocess.STDOUT, cwd=self.cwd, env=self.env,
                                             start_new_session=True, preexec_fn=_die_with_parent)
            except OSError as e:
                raise BedError(f"{self.name}: cannot start {self.argv[0]}: {e}") from None
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=LOG_TAIL_LINES):
        text = read_tail(self.log_path, lines)
        if self.stdout_path != self.log_path:
            text += f"\n--- {self.name} stdout/stderr ---\n" + read_tail(self.stdout_path, lines)
        return text

    def fail(self, what):
        """A BedError saying `what` went wrong with this server, with its log tail."""
        if self.alive():
            state = "running"
        else:
            state = f"exited with {self.proc.returncode if self.proc else None}"
        return BedError(f"{self.name} (pid {self.pid}, {state}): {what}\n"
                        f"--- tail of {self.log_path} ---\n{self.log_tail()}")

    def wait_until(self, ready, what, timeout=10.0, interval=0.02):
        """Poll `ready()` until true; raise with the log tail if the server dies or the
        time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            if ready():
                return
            if not self.alive():
                raise self.fail(f"exited while waiting for {what}")
            if time.monotonic() > deadline:
                raise self.fail(f"not ready after {timeout}s: {what}")
            time.sleep(interval)

    def signal(self, signum):
        if self.alive():
            os.kill(self.proc.pid, signum)

    def stop(self, timeout=5.0):
        """SIGTERM the server's pid, SIGKILL it after `timeout` seconds; return its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except OSError as e:
                if e.errno != errno.ESRCH:
                    raise
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        return self.proc.returncode
