"""Access control: API keys with scopes, checked on every request when auth is required."""
