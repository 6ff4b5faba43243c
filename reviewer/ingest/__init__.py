"""Ingest: scanning folders, hashing, probing in a worker pool, provenance and shot rules."""
