# SPDX-License-Identifier: BSD-3-Clause
"""Command line of the test bed: `python3 -m testbed up [--dir DIR] [--fault NAME]...
[--bulk N]` brings a bed up, prints its JSON description and runs until SIGINT/SIGTERM; `faults`
lists the faults."""

import argparse
import json
import signal
import sys
import time

from .bed import Bed
from .faults import describe
from .proc import BedError


def _up(args):
    # A plain flag, not a threading.Event: Event.set() in a signal handler deadlocks when the
    # signal lands while the main thread holds the Event's lock inside Event.wait().
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    bed = Bed(args.dir, prosody_log_level=args.prosody_log_level)
    try:
        bed.start()
        for name in args.fault:
            bed.derive(*name.split("+"))
        if args.bulk:
            t0 = time.monotonic()
            bed.bulk_domains(args.bulk, prefix=args.bulk_prefix)
            print(f"testbed: {args.bulk} bulk domains in {time.monotonic() - t0:.2f} s",
                  file=sys.stderr)
        json.dump(bed.info(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        sys.stdout.flush()
        print(f"testbed: up in {bed.startup_seconds} s in {bed.dir}; "
              "SIGINT or SIGTERM stops it", file=sys.stderr)
        while not stopping:
            time.sleep(0.5)
            for proc in bed.processes():
                if not proc.alive():
                    raise proc.fail("exited on its own")
    except BedError as e:
        print(f"testbed: {e}", file=sys.stderr)
        return 1
    finally:
        bed.stop()
        print(f"testbed: stopped; logs are in {bed.dir}", file=sys.stderr)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m testbed", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring a bed up and keep it until SIGINT/SIGTERM")
    up.add_argument("--dir", help="bed directory (default: a new temporary directory)")
    up.add_argument("--fault", action="append", default=[], metavar="NAME[+NAME]",
                    help="also derive a domain with these faults (repeatable)")
    up.add_argument("--bulk", type=int, default=0, metavar="N",
                    help="also make N healthy DNS-only domains <prefix>-<i>.example (benchmarks)")
    up.add_argument("--bulk-prefix", default="bench", metavar="PREFIX")
    up.add_argument("--prosody-log-level", default="info", choices=["debug", "info", "warn"])
    sub.add_parser("faults", help="list the faults a test can derive")
    args = p.parse_args(argv)
    if args.command == "faults":
        for name, doc in describe().items():
            print(f"{name:20} {doc}")
        return 0
    return _up(args)


if __name__ == "__main__":
    sys.exit(main())
