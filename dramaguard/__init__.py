"""DramaGuard composition root: settings, CLI, services and wiring.

The only package that imports all the others (see ../shared/CONVENTIONS.md).
"""
