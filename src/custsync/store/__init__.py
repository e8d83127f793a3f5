"""The store: the only place that speaks SQL (SQLite embedded, PostgreSQL in production)."""
