"""The configuration: the data model every stage reads (`model`), the domains.yaml loader
with its line-and-key error messages (`loading`), its JSON Schema (`schema/`), the trust
anchors and the shard specification."""
