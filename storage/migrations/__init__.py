"""Alembic migrations (script location). Files are named YYYYMMDD_NNNN_message.py."""
