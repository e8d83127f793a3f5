"""Reports: tab views and the files analysts open (read-only on the store)."""
