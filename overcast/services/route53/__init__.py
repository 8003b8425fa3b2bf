"""Route 53: only its wire overlay so far (no provider yet)."""
