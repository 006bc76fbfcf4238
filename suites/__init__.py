"""The suites: one thin test module per failure-mode family.

They live at the top of the repository and ship inside the package as
`dnssec_conformance.suites` (see setup.py): `dnssec-conformance --domains d.yaml`, or
`pytest --pyargs dnssec_conformance.suites --domains d.yaml`, runs the ones that match the
installed checks.
"""
