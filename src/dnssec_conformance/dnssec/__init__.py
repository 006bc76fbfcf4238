"""DNSSEC primitives: signatures, the chain of trust, NSEC and NSEC3 proofs, a zone file
answered as a server would (the responder), and the walk of a whole zone's denial chain."""
