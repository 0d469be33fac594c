"""Auditors and regulators: read-only access to the organisations that authorised them."""
