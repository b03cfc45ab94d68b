"""The ledger: one entry per order, the deterministic index, pairing, sign-off, audit."""
