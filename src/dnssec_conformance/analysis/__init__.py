"""Computations over a zone's data that several checks share, done once per zone: what is
served and signed by whom, the parent's DS, key timing, the signing mode, multi-signer
zones, the denial answers; and `Evaluation`, what a check needs besides the data."""
