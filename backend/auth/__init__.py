"""Authentication: passwords, signed access tokens, rotating refresh tokens."""
