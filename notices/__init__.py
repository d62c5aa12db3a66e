"""Takedown notices and the casework rules, storage-free.

Owns the notice model and templates, deadlines, the case lifecycle, per-work policy and
allowlists, evidence packages, receipts, metrics, the casework rules over plain objects
(`casework.py`) and the delivery-channel plugins (`channels/`).
"""
