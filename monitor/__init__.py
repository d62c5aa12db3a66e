"""The candidate pipeline: discovery → sampling → fingerprinting → matching → casework.

Owns the stages (``stages.py``: local process pool or Ray), the deadline-ordered work queue, the
platform crawling wiring, the casework that turns matches into cases and notices in storage
(``casework.py``, ``casework_adapter.py``; the rules themselves live in ``notices``), and the
daemon that schedules it all (``daemon.py``, with ``health.py`` reading the snapshot it
publishes), and the settings sections they read (``config.py``). Imports domain packages,
``storage`` and ``indexing``; never ``dramaguard`` (the composition root hands it a ``Settings``
that meets ``config.MonitorConfig``).
"""
