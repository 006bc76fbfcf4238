"""The package's shape: one exception root."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import dnssec_conformance
from dnssec_conformance.errors import ConformanceError

PACKAGE = Path(dnssec_conformance.__file__).parent


def module_names() -> list[str]:
    """Every module of the package, sub-packages (namespace ones too) included."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_exception_of_the_package_is_a_conformance_error() -> None:
    strays = []
    for name in module_names():
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (value.__module__ == name and issubclass(value, BaseException)
                    and not issubclass(value, ConformanceError)):
                strays.append(f"{name}.{value.__qualname__}")
    assert not strays
