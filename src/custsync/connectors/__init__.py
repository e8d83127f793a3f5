"""Marketplace connectors: HTTP and payloads in, pages of canonical records out."""
