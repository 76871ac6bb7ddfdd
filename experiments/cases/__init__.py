"""Shipped case studies (TOML): published figures re-run on the model (see sim.cases)."""
