"""``python -m dramaguard`` runs the CLI."""
from dramaguard.cli import run

run()
