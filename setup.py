"""Packaging that pyproject.toml cannot declare: the library's packages are found under src/,
and the suites, kept at the top of the repository where its users look for them, ship inside
the package as `dnssec_conformance.suites`. Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages("src", include=["dnssec_conformance*"]),
              "dnssec_conformance.suites"],
    package_dir={"": "src", "dnssec_conformance.suites": "suites"},
)
