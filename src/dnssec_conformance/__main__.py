"""`python -m dnssec_conformance`: the `dnssec-conformance` command."""

import sys

from .cli import main

sys.exit(main())
