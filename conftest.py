"""Makes a plain `pytest` in the repository root run the suites against ./domains.yaml.

Everything else lives in the installed plugin (dnssec_conformance.plugin); this file only
supplies the default domains file when neither --domains nor the ini value gives one.
"""

from pathlib import Path

import pytest

DEFAULT_DOMAINS = Path(__file__).parent / "domains.yaml"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("dnssec_conformance"):
        return  # the package is not installed: nothing to default
    if config.getoption("domains", None) or config.getini("dnssec_domains"):
        return
    suites = DEFAULT_DOMAINS.parent / "suites"
    targets = [(config.invocation_params.dir / arg.split("::")[0]).resolve()
               for arg in config.args]
    if targets and all(t.is_relative_to(suites) for t in targets):
        config.option.domains = str(DEFAULT_DOMAINS)  # the suites, not the project's tests
