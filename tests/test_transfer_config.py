"""`transfer:` in domains.yaml (issue 16): global and per domain, the TSIG secret read from
its environment variable when the file is loaded, one-line errors that never quote it."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import dns.name
import pytest

from dnssec_conformance.config.loading import load_config
from dnssec_conformance.config.model import TransferSpec, TsigKey
from dnssec_conformance.errors import ConfigError

SECRET = base64.b64encode(b"lab-only tsig secret, 32 bytes!!").decode()
OTHER = base64.b64encode(b"another secret of the second key").decode()


def write(folder: Path, text: str) -> Path:
    path = folder / "domains.yaml"
    path.write_text("root_hints: [127.0.0.1:9]\n" + textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XFR_SECRET", SECRET)
    monkeypatch.setenv("XFR_OTHER", OTHER)


def test_domains_merge_over_the_global_transfer(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        transfer: {tsig: {name: xfr-key.example., secret_env: XFR_SECRET}, walk: true}
        domains:
          - a.example
          - {name: b.example, transfer: false}
          - {name: c.example, transfer: {tsig: null, timeout_s: 5}}
          - name: d.example
            transfer: {tsig: {name: k2, algorithm: hmac-sha512, secret_env: XFR_OTHER}}
          - {name: e.example, transfer: true}
        """)

    config = load_config(path)
    specs = {d.display: d.transfer for d in config.domains}

    key = TsigKey(dns.name.from_text("xfr-key.example."), "hmac-sha256", "XFR_SECRET")
    assert specs["a.example"] == TransferSpec(tsig=key, walk=True) == config.transfer
    assert specs["a.example"].tsig.secret == base64.b64decode(SECRET)
    assert specs["b.example"] is None
    assert specs["c.example"] == TransferSpec(walk=True, timeout_s=5.0)
    assert specs["d.example"].tsig.algorithm == "hmac-sha512"
    assert specs["d.example"].tsig.secret == base64.b64decode(OTHER)
    assert specs["d.example"].walk is True
    assert specs["e.example"] == config.transfer


def test_without_a_global_transfer_only_the_domains_that_say_so_transfer(tmp_path: Path
                                                                        ) -> None:
    path = write(tmp_path, """\
        domains:
          - a.example
          - {name: b.example, transfer: true}
          - {name: c.example, transfer: {walk: true, axfr: false, walk_max_names: 50}}
        """)

    specs = [d.transfer for d in load_config(path).domains]

    assert specs == [None, TransferSpec(), TransferSpec(axfr=False, walk=True,
                                                        walk_max_names=50)]


def test_the_secret_is_in_no_repr_and_no_comparison(tmp_path: Path) -> None:
    path = write(tmp_path, "domains:\n  - {name: a.example, transfer: {tsig: {name: k., "
                           "secret_env: XFR_SECRET}}}\n")

    domain = load_config(path).domains[0]

    assert SECRET not in repr(domain) and base64.b64decode(SECRET).decode() not in repr(domain)
    assert "XFR_SECRET" in repr(domain)
    assert domain.transfer == TransferSpec(
        tsig=TsigKey(dns.name.from_text("k."), "hmac-sha256", "XFR_SECRET", b"other"))


@pytest.mark.parametrize(("value", "expected"), [
    (None, "the environment variable XFR_MISSING is not set: it must hold the TSIG secret "
           "(base64, as tsig-keygen prints it)"),
    ("  ", "the environment variable XFR_MISSING is empty"),
    ("not base64 at all!", "the environment variable XFR_MISSING does not hold base64 text"),
])
def test_a_missing_or_unusable_secret_is_one_line_at_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str
) -> None:
    if value is not None:
        monkeypatch.setenv("XFR_MISSING", value)
    path = write(tmp_path, """\
        domains:
          - name: a.example
            transfer:
              tsig: {name: k., secret_env: XFR_MISSING}
        """)

    message = error_of(path)

    assert message.startswith(f"{path}:5: domains[0].transfer.tsig.secret_env: {expected}")
    assert "\n" not in message
    if value is not None and value.strip():
        assert value not in message


def test_the_global_secret_is_checked_where_it_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, "transfer: {tsig: {name: k., secret_env: NOT_SET_H16}}\n"
                           "domains: [a.example]\n")

    assert error_of(path).startswith(f"{path}:2: transfer.tsig.secret_env: the environment "
                                     "variable NOT_SET_H16 is not set")


@pytest.mark.parametrize(("transfer", "expected"), [
    ("{tsig: {name: k., secret_env: XFR_SECRET, algorithm: hmac-sha999}}",
     "domains[0].transfer.tsig.algorithm: must be one of 'hmac-sha256'"),
    ("{tsig: {name: k.}}", "domains[0].transfer.tsig: missing the required key 'secret_env'"),
    ("{tsig: {name: k., secret: c2VjcmV0}}", "domains[0].transfer.tsig.secret: unknown key"),
    ("{walks: true}", "domains[0].transfer.walks: unknown key (did you mean 'walk'?)"),
    ("axfr", "domains[0].transfer: expected true or false or a mapping, found a string"),
    ("{timeout_s: 0}", "domains[0].transfer.timeout_s: must be more than 0, found 0"),
    ("{axfr: false}", "domains[0].transfer.axfr: with 'axfr: false' nothing would be taken: "
                      "set 'walk: true' (or remove 'axfr')"),
    ("{tsig: {name: k., secret_env: 'MY-SECRET'}}",
     "domains[0].transfer.tsig.secret_env: 'MY-SECRET' does not match"),
])
def test_transfer_errors_name_line_and_key(tmp_path: Path, transfer: str, expected: str
                                          ) -> None:
    path = write(tmp_path, f"domains:\n  - name: a.example\n    transfer: {transfer}\n")

    message = error_of(path)

    assert message.startswith(f"{path}:4: {expected}"), message
    assert SECRET not in message


def test_a_zone_file_is_not_transferred(tmp_path: Path) -> None:
    (tmp_path / "zone.signed").write_text("")
    path = write(tmp_path, "transfer: true\ndomains:\n  - name: a.example\n"
                           "    zone_file: zone.signed\n  - name: b.example\n"
                           "    zone_file: zone.signed\n    transfer: {walk: true}\n")

    assert error_of(path) == (f"{path}:8: domains[1].transfer: a zone file is checked whole "
                              "already: remove 'transfer' or 'zone_file'")


def test_the_global_transfer_leaves_zone_files_alone(tmp_path: Path) -> None:
    (tmp_path / "zone.signed").write_text("")
    path = write(tmp_path, "transfer: true\ndomains:\n  - {name: a.example, zone_file: "
                           "zone.signed}\n  - b.example\n")

    assert [d.transfer for d in load_config(path).domains] == [None, TransferSpec()]
