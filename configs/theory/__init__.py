"""Reduced configs whose outputs queueing theory can check."""
