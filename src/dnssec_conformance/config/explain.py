"""How a problem in domains.yaml is said and placed: the document with the line and
column of every key and value, each problem's one-line wording (`file:line: key:
what`), and the explanation of JSON Schema errors in the words a user reads
("unknown key (did you mean 'expect'?)", "expected a number, found a string")."""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import jsonschema
import yaml

KeyPath = tuple[str | int, ...]
_JSON_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


# When two problems sit at the same place, the one that explains the most is shown: a broken
# YAML structure, then a misspelled key, then a wrong type, then the loader's own precise
# checks, and last the schema's generic ones (its patterns only mirror the loader's checks).
_RANK_YAML = 0
_RANK_UNKNOWN_KEY = 1
_RANK_TYPE = 2
_RANK_SEMANTIC = 3
_RANK_SCHEMA = 4


@dataclass(frozen=True)
class _Problem:
    line: int
    column: int
    rank: int
    key: str | None
    message: str

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.line, self.column, self.rank)


@dataclass(frozen=True)
class _Document:
    """The file's plain data plus where in the file each key and value was written."""

    data: dict[str, Any]
    value_marks: dict[KeyPath, yaml.Mark]
    key_marks: dict[KeyPath, yaml.Mark]
    problems: list[_Problem]
    # What the file wrote for a value YAML read as a number, boolean or date (0o17, no, 1e3)
    sources: dict[KeyPath, str] = field(default_factory=dict)

    def written(self, path: KeyPath, expected: Iterable[str], found: Any) -> str:
        """A hint for a type error where YAML read the value as another type than meant:
        text written as a number (0o17, no), or a number written as quoted text ("1e-3")."""
        expected = list(expected)
        source = self.sources.get(path)
        if "string" in expected and source is not None and source not in _describe(found):
            return f", written {_quote(source)}: quote it to use it as text"
        if ("number" in expected or "integer" in expected) and isinstance(found, str) \
                and _is_number_text(found):
            return ": a quoted number is text, write it without quotes"
        return ""

    def at_value(self, path: KeyPath, message: str, rank: int = _RANK_SEMANTIC) -> _Problem:
        return _problem_at(self._nearest_mark(path, self.value_marks), path, message, rank)

    def at_key(self, path: KeyPath, message: str, rank: int) -> _Problem:
        return _problem_at(self._nearest_mark(path, self.key_marks), path, message, rank)

    def _nearest_mark(self, path: KeyPath, marks: dict[KeyPath, yaml.Mark]) -> yaml.Mark:
        if path in marks:
            return marks[path]
        # A missing key has no place of its own: point at the mapping that should hold it.
        while path not in self.value_marks:
            path = path[:-1]
        return self.value_marks[path]


def _problem_at(mark: yaml.Mark, path: KeyPath, message: str, rank: int) -> _Problem:
    return _Problem(mark.line + 1, mark.column, rank, _key_text(path), message)


def _key_text(path: KeyPath) -> str | None:
    """The dotted form users read: `domains[2].thresholds.warning_days`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or None


# jsonschema types these attributes loosely (they may be "unset"); the errors that reach
# here always carry them.
def _limit(error: jsonschema.ValidationError) -> Any:
    """The value of the failed keyword in the schema: the bound, the enum, the type."""
    return cast(Any, error.validator_value)


def _instance(error: jsonschema.ValidationError) -> Any:
    return cast(Any, error.instance)


def _subschema(error: jsonschema.ValidationError) -> dict[str, Any]:
    return cast(dict[str, Any], error.schema)


def _schema_problems(document: _Document, schema: dict[str, Any]) -> Iterator[_Problem]:
    validator = jsonschema.Draft202012Validator(schema)
    for error in validator.iter_errors(document.data):
        yield from _explain(error, document)


def _explain(error: jsonschema.ValidationError, document: _Document) -> Iterator[_Problem]:
    path: KeyPath = tuple(error.absolute_path)
    found = _instance(error)
    limit = _limit(error)
    match error.validator:
        case "additionalProperties":
            yield from _unknown_keys(error, document)
        case "anyOf":
            yield from _explain_alternatives(error, document)
        case "type":
            types = [limit] if isinstance(limit, str) else limit
            message = f"expected {_expected_types(types)}, found {_describe(found)}"
            yield document.at_value(path, message + document.written(path, types, found),
                                    _RANK_TYPE)
        case "required":
            yield from _missing_keys(error, document)
        case "enum":
            choices = ", ".join(_quote(choice) for choice in limit)
            suggestion = _suggestion(found, limit) if isinstance(found, str) else ""
            message = f"must be one of {choices}, found {_describe(found)}{suggestion}"
            yield document.at_value(path, message, _RANK_SCHEMA)
        case "minItems" if path == ("domains",):
            yield document.at_value(path, "the list is empty: no domains to check", _RANK_SCHEMA)
        case "minItems" | "minLength" if limit == 1:
            yield document.at_value(path, "must not be empty", _RANK_SCHEMA)
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            yield document.at_value(
                path, _bound_message(error.validator, limit, found), _RANK_SCHEMA
            )
        case _:
            yield document.at_value(path, _one_line(error.message), _RANK_SCHEMA)


def _unknown_keys(error: jsonschema.ValidationError, document: _Document) -> Iterator[_Problem]:
    path: KeyPath = tuple(error.absolute_path)
    subschema = _subschema(error)
    valid_keys = list(subschema.get("properties", {}))
    if subschema.get("patternProperties"):  # keys are names of things, not a fixed set
        for key in _unknown_key_names(error):
            yield document.at_key((*path, key), "not a finding code: write CHECK/code, as "
                                  "docs/checks.md lists them", _RANK_UNKNOWN_KEY)
        return
    for key in _unknown_key_names(error):
        hint = _suggestion(key, valid_keys) or f" (valid keys: {', '.join(valid_keys)})"
        yield document.at_key((*path, key), f"unknown key{hint}", _RANK_UNKNOWN_KEY)


def _missing_keys(error: jsonschema.ValidationError, document: _Document) -> Iterator[_Problem]:
    # With a misspelled key present, its "did you mean" already explains the missing one.
    if _unknown_key_names(error):
        return
    path: KeyPath = tuple(error.absolute_path)
    for key in (key for key in _limit(error) if key not in _instance(error)):
        hint = ": no domains to check" if path == () and key == "domains" else ""
        yield document.at_value(path, f"missing the required key '{key}'{hint}", _RANK_SCHEMA)


def _unknown_key_names(error: jsonschema.ValidationError) -> list[str]:
    subschema = _subschema(error)
    valid_keys = subschema.get("properties", {})
    patterns = [re.compile(p) for p in subschema.get("patternProperties", {})]
    return [key for key in _instance(error) if key not in valid_keys
            and not any(p.search(key) for p in patterns)]


def _explain_alternatives(
    error: jsonschema.ValidationError, document: _Document
) -> Iterator[_Problem]:
    """Explain an anyOf failure by the alternative whose type fits, or by the types it allows."""
    errors_by_branch: dict[int, list[jsonschema.ValidationError]] = {}
    for branch_error in error.context or ():
        errors_by_branch.setdefault(int(branch_error.relative_schema_path[0]), []).append(
            branch_error
        )
    allowed_types: list[str] = []
    for branch_errors in errors_by_branch.values():
        type_errors = [e for e in branch_errors if e.validator == "type" and not e.relative_path]
        if not type_errors:
            for branch_error in branch_errors:
                yield from _explain(branch_error, document)
            return
        for type_error in type_errors:
            limit = _limit(type_error)
            allowed_types += [limit] if isinstance(limit, str) else limit
    path: KeyPath = tuple(error.absolute_path)
    message = f"expected {_expected_types(allowed_types)}, found {_describe(_instance(error))}"
    hint = document.written(path, allowed_types, _instance(error))
    yield document.at_value(path, message + hint, _RANK_TYPE)


def _bound_message(keyword: str, limit: float, found: Any) -> str:
    relation = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "more than",
        "exclusiveMaximum": "less than",
    }[keyword]
    return f"must be {relation} {_number(limit)}, found {_number(found)}"


def _suggestion(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _expected_types(json_types: list[str]) -> str:
    words = list(dict.fromkeys(_JSON_TYPE_WORDS.get(name, name) for name in json_types))
    return " or ".join(words)


def _describe(value: Any) -> str:
    """A value as a user would name it: "a string ('seven')", "a list", "an empty value"."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({_number(value)})"
    if isinstance(value, float):
        return f"a number ({_number(value)})"
    if isinstance(value, str):
        return f"a string ({_quote(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"a date ({value.isoformat()})"
    return f"a {type(value).__name__}"


def _is_number_text(text: str) -> bool:
    try:
        return math.isfinite(float(text.strip()))
    except ValueError:
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, int) and abs(value) >= 10**16:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:3]}… ({len(digits)} digits)"
    return str(value)


def _quote(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[:limit] + "…"
    # Control characters shown escaped: a newline in a value must not break the one line.
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)
    return f"'{printable}'"


def _one_line(text: str) -> str:
    return " ".join(text.split())
