"""notices: see ../shared/CONVENTIONS.md for what belongs here."""
