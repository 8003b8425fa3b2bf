"""API Gateway: only its wire overlay so far (no provider yet)."""
