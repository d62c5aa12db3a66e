"""DramaGuard composition root: settings, the CLI (``cli/``), the HTTP API and review UI
(``web/``), accounts and log redaction — the wiring, no rules.

The only package that imports all the others; the rules live in the domain packages, the
pipeline in ``monitor``, the catalogue and its index in ``indexing`` (docs/architecture.md).
"""
