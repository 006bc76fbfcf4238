"""The package's shape: stages that import only downwards, pytest only in the plugin, and one
exception root.

The stages, lowest first (a module may import its own stage and those below it):

    contract  errors, findings, files, times: the data, exceptions and forms every stage
              shares
    config    the configuration's model, loading, schema, trust anchors, shards
    probe     everything observed (DNS, resolvers, CoreDNS, NTP, providers), the snapshot
    dnssec    signatures, chain of trust, NSEC/NSEC3, the zone-file responder, the walk
    state     the key history between runs (model, pure step, JSON, store)
    analysis  what several checks compute over a zone, once; `Evaluation`
    catalog   the check registry and the one runner
    checks    one module per family: pure functions, data + evaluation -> findings
    report    results.json, overview, HTML, heartbeat, summary, JUnit, metrics, merge
    engine    probes and judges each subject beside pytest
    plugin    the pytest plugin
    commands  the command line (cli, fleet, merge)

`catalog` loads the check modules by name (importlib) when asked for the checks: that is
how the registry learns them without importing upwards.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import dnssec_conformance
from dnssec_conformance.errors import ConformanceError

PACKAGE = Path(dnssec_conformance.__file__).parent
ROOT = PACKAGE.name
STAGES = ("contract", "config", "probe", "dnssec", "state", "analysis", "catalog", "checks",
          "report", "engine", "plugin", "commands")
TOP_LEVEL = {"__init__": "contract", "errors": "contract", "findings": "contract",
             "times": "contract", "files": "contract", "catalog": "catalog", "cli": "commands",
             "fleet_command": "commands", "merge_command": "commands", "__main__": "commands"}
PYTEST_STAGES = {"plugin", "commands"}


def module_names() -> list[str]:
    """Every module of the package, sub-packages included."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def stage_of(module: str) -> str:
    parts = module.split(".")[1:] or ["__init__"]
    if len(parts) == 1 and parts[0] in TOP_LEVEL:
        return TOP_LEVEL[parts[0]]
    assert parts[0] in STAGES, f"{module}: in no stage (add it to tests/test_layout.py)"
    return parts[0]


def imports_of(module: str, text: str | None = None) -> list[tuple[int, str]]:
    """(line, imported module) for every import of `module` (its source, or `text`), at any
    depth (a lazy import or one under TYPE_CHECKING is a dependency too), relative ones
    resolved."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    is_package = path.is_dir()
    source = (path / "__init__.py") if is_package else path.with_suffix(".py")
    found = []
    for node in ast.walk(ast.parse(source.read_text() if text is None else text)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from . import x`: x may be a module of its own stage
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if PACKAGE.parent.joinpath(*f"{target}.{alias.name}".split("."))
                      .with_suffix(".py").exists()]
    return found


def test_every_module_belongs_to_a_stage() -> None:
    for module in module_names():
        stage_of(module)


def upward_imports(module: str, imports: list[tuple[int, str]]) -> list[str]:
    here = STAGES.index(stage_of(module))
    upward = []
    for line, target in imports:
        if not target.startswith(ROOT + "."):
            continue  # another library, or `from dnssec_conformance import x`: judged by x
        there = STAGES.index(stage_of(target))
        if there > here:
            upward.append(f"{module}:{line} ({STAGES[here]}) imports {target} "
                          f"({STAGES[there]})")
    return upward


def test_imports_point_down_the_stages() -> None:
    upward = [u for module in module_names() for u in upward_imports(module, imports_of(module))]
    assert not upward, "\n".join(upward)


def test_only_the_plugin_and_the_commands_import_pytest() -> None:
    offenders = [f"{module}:{line}" for module in module_names()
                 if stage_of(module) not in PYTEST_STAGES
                 for line, target in imports_of(module)
                 if target.split(".")[0] in ("pytest", "_pytest", "pytest_html")
                 and not (module == f"{ROOT}.report.junit" and target == "_pytest.junitxml")]
    assert not offenders


def test_an_upward_import_is_seen_wherever_it_hides() -> None:
    module = f"{ROOT}.checks.expiry"
    lazy = "def f():\n    from ..plugin import hooks\n"
    typing_only = ("from typing import TYPE_CHECKING\n"
                   "if TYPE_CHECKING:\n    from ..report import html\n")
    assert upward_imports(module, imports_of(module, lazy)) == [
        f"{module}:2 (checks) imports {ROOT}.plugin (plugin)",
        f"{module}:2 (checks) imports {ROOT}.plugin.hooks (plugin)"]
    assert upward_imports(module, imports_of(module, typing_only)) == [
        f"{module}:3 (checks) imports {ROOT}.report (report)",
        f"{module}:3 (checks) imports {ROOT}.report.html (report)"]
    assert upward_imports(module, imports_of(module, "from ..analysis import zone\n")) == []


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
