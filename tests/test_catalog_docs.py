"""The docs list the catalog as the code defines it."""

from pathlib import Path

from dnssec_conformance.catalog import all_checks, markdown_catalog

DOCS = Path(__file__).parent.parent / "docs" / "checks.md"


def test_docs_list_the_catalog_as_generated():
    assert DOCS.read_text(encoding="utf-8") == markdown_catalog(), (
        "docs/checks.md is stale: run `python -m dnssec_conformance.catalog > docs/checks.md`")


def test_check_ids_are_unique_and_stable_looking():
    ids = list(all_checks())
    assert len(ids) == len(set(ids))
    assert all(i.isupper() and i[-2:].isdigit() for i in ids)
