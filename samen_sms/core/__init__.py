"""Shared core: settings, identity (pseudonyms, sealing), the Redis key registry, TOML loading."""
