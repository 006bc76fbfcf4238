"""The dnssec-conformance test lab: a private, freshly signed DNS hierarchy on loopback.

from lab import up, down
info = up()          # builds and starts everything; info.domains_yaml, info.servers ...
down()
"""

from lab.errors import LabError
from lab.lifecycle import LabInfo, down, status, up

__all__ = ["LabError", "LabInfo", "down", "status", "up"]
