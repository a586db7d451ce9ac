"""Persistence: SQLAlchemy models, sessions and Alembic migrations (db.py, migrations/), retention, encrypted transcripts and safe file writes."""
