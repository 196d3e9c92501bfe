"""Shared helpers for the CRS contract and integration tests."""
