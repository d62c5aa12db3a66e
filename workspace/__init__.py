"""What people do with works and cases, over storage and without HTTP: legal review decisions,
disputes and repeat infringers, a work's edits and excluded intervals, and the case file (evidence
read back against its sealed manifest, the court-ready PDF).

The API, the review pages and the CLI call the same functions; a refusal is a
:class:`workspace.errors.WorkspaceError`, which the web app maps to its HTTP status in one place
(``dramaguard/web/errors.py``).
"""
