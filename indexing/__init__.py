"""The catalogue of registered episodes and the frame index that serves it.

Owns registration and scanning (``catalogue.Services``: index + matcher + sound library over
the database; its scanning half in ``scanning.py``), the fingerprinting unit of work
(``fingerprinting.py``, run in a process pool or as Ray tasks by ``ray_pool.py``), the scan
reports, and the index's maintenance: rebuilding it with all
its cells (``retrain.py``), checking the stores against each other (``storecheck.py``) and
backup/restore/check (``maintenance.py``), and the settings sections they read (``config.py``).
Imports domain packages and ``storage``; never ``monitor`` or ``dramaguard`` (the composition root
hands it a ``Settings`` that meets ``config.CatalogueConfig``).
"""
