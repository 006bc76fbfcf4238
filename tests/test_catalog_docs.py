"""The docs list the catalog as the code defines it; from a check ID, one hop to its code, its
suite test and its docs (one family name across check module, suite file and marker)."""

import ast
import importlib
import inspect
from pathlib import Path

from dnssec_conformance.catalog import (
    COMMON_CODES,
    SUITES_PACKAGE,
    all_checks,
    markdown_catalog,
    source_of,
    suite_tests,
)

DOCS = Path(__file__).parent.parent / "docs" / "checks.md"


def test_docs_list_the_catalog_as_generated():
    assert DOCS.read_text(encoding="utf-8") == markdown_catalog(), (
        "docs/checks.md is stale: run `python -m dnssec_conformance.catalog > docs/checks.md`")


def test_check_ids_are_unique_and_stable_looking():
    ids = list(all_checks())
    assert len(ids) == len(set(ids))
    assert all(i.isupper() and i[-2:].isdigit() for i in ids)


def test_every_check_has_one_suite_test_and_every_suite_test_a_check():
    assert set(suite_tests()) == set(all_checks())


def test_a_family_has_one_name_across_check_module_suite_file_and_marker():
    tests = suite_tests()
    for check_id, spec in all_checks().items():
        assert spec.function.__module__ == f"dnssec_conformance.checks.{spec.marker}", check_id
        assert tests[check_id][0] == f"test_{spec.marker}.py", check_id


def test_every_suite_test_asks_only_for_the_conformance_fixture():
    """One fixture serves every scope (zone, resolver, canary, CoreDNS, the run)."""
    package = importlib.import_module(SUITES_PACKAGE)
    for check_id, (module_file, name) in suite_tests().items():
        module = importlib.import_module(f"{package.__name__}.{module_file[:-3]}")
        assert list(inspect.signature(getattr(module, name)).parameters) == ["conformance"], \
            check_id


def test_the_docs_name_each_checks_code_and_suite_test():
    text = DOCS.read_text(encoding="utf-8")
    for check_id, spec in all_checks().items():
        module_file, name = suite_tests()[check_id]
        section = text.split(f"## {check_id} ")[1].split("\n## ")[0]
        assert f"`{source_of(spec)}` (`{spec.function.__name__}`)" in section
        assert f"`suites/{module_file}::{name}`" in section
        assert (Path(__file__).parent.parent / source_of(spec)).is_file()


PACKAGE = Path(__file__).parent.parent / "src" / "dnssec_conformance"


def _registered_id(function: ast.AST) -> str | None:
    """The ID a function's `@register(id=...)` gives it, if it is a check."""
    for decorator in getattr(function, "decorator_list", ()):
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "register":
            for keyword in decorator.keywords:
                if keyword.arg == "id" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


def _callers(body: list[ast.stmt]) -> dict[str, set[str]]:
    """Each top-level function of a module -> the checks of that module that call it, directly
    or through its other functions (the check itself for a check's own function)."""
    functions = {f.name: f for f in body if isinstance(f, ast.FunctionDef)}
    calls = {name: {n.id for n in ast.walk(f) if isinstance(n, ast.Name) and n.id in functions}
             for name, f in functions.items()}
    owners: dict[str, set[str]] = {name: set() for name in functions}
    for name, function in functions.items():
        check = _registered_id(function)
        if check is None:
            continue
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                owners[current].add(check)
                todo += calls[current]
    return owners


def _finding_calls() -> list[tuple[str, set[str], ast.Call]]:
    """Every `Finding(...)` in the package: where, the checks that make it (the check whose
    function it is in, or the checks of its module that call that function), the call."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        body = ast.parse(path.read_bytes()).body
        owners = _callers(body)
        for top in body:
            for node in ast.walk(top):
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Finding":
                    calls.append((f"{path.relative_to(PACKAGE)}:{node.lineno}",
                                  owners.get(getattr(top, "name", ""), set()), node))
    return calls


def test_every_finding_is_made_with_a_code_its_check_declares():
    """Codes are stable data, never read from messages: each `Finding(...)` names one, and the
    checks that make it declare it: the check whose function it is in, or every check of the
    module that calls that helper (a family's helper no check of its module calls: every check
    of the family)."""
    checks = all_checks()
    for where, makers, call in _finding_calls():
        code = next((k.value for k in call.keywords if k.arg == "code"), None)
        if where.startswith(("findings.py", "probe/snapshot.py")):
            continue  # a finding carried over (cut short, or read back from a snapshot)
        assert code is not None, f"{where}: a Finding without a code"
        literals = [c.value for c in ast.walk(code) if isinstance(c, ast.Constant)]
        if makers:
            owners = [checks[maker] for maker in makers]
        elif where.startswith("checks/") and not where.startswith("checks/_common"):
            family = where.split("/")[1].split(".")[0]
            owners = [s for s in checks.values() if s.marker == family]
        else:
            owners = list(checks.values())  # the runner's, the shared analyses': common codes
        for literal in literals:
            assert all(literal in spec.codes for spec in owners), f"{where}: {literal}"


def test_checks_leave_their_id_to_the_runner():
    """`catalog.run` stamps the check's ID on its findings: a check never names it. Only the
    transfer checks' copy judge, which runs in the probe stage, names the check it judges
    for."""
    for where, _makers, call in _finding_calls():
        if where.startswith(("checks/", "analysis/")) and not where.startswith(
                "checks/transfer.py"):
            assert not any(k.arg == "check" for k in call.keywords), where


def test_the_docs_list_each_checks_codes():
    text = DOCS.read_text(encoding="utf-8")
    for check_id, spec in all_checks().items():
        section = text.split(f"## {check_id} ")[1].split("\n## ")[0]
        for code in spec.codes:
            if code not in COMMON_CODES:
                assert f"`{check_id}/{code}`" in section
    assert all(f"`{code}`" in text for code in COMMON_CODES)
