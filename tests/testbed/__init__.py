# SPDX-License-Identifier: BSD-3-Clause
"""The xdane loopback test bed (BIND, Prosody, a test CA, resolver files), shared by the
integration tests, the benchmarks and the demo: `with testbed.Bed() as bed: ...`."""

from .bed import GOOD, PARENT, Bed, Domain, Target, start
from .faults import FAULTS, CertSpec, DomainSpec, SecondarySpec, TargetSpec, describe, fault
from .pki import CA, Cert
from .proc import BedError
from .xmpp import SERVICES

__all__ = ["Bed", "BedError", "CA", "Cert", "CertSpec", "Domain", "DomainSpec", "FAULTS", "GOOD",
           "PARENT", "SERVICES", "SecondarySpec", "Target", "TargetSpec", "describe", "fault",
           "start"]
