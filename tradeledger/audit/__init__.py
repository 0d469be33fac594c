"""Independent audit: ``tradeledger verify`` and audit packs (export, check),
checked against the chain alone."""
