"""RDS: only its wire overlay so far (no provider yet)."""
