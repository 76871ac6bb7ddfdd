"""Shipped experiment configs (TOML), importable so the package can find them anywhere."""
