"""The one exception the lab raises: its message is a single line meant for the user."""

from __future__ import annotations


class LabError(RuntimeError):
    """Something the user must fix (root, a taken port, a missing package) or a failed build."""
