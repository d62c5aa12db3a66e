"""``python -m dramaguard`` runs the CLI."""
from dramaguard.cli import app

app()
