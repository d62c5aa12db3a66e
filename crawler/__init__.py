"""Platform plugins → candidate videos and sampled media (aiohttp; no database).

Owns the `Platform` base and its registry (`registry.py`), the HTTP client with its SSRF guard
and rate limits, search terms, sampling, crawl state as a Protocol, and the simulated platform.
"""
