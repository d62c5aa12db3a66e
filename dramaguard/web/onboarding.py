"""Reading a proof upload within its cap (the records it goes into: ``workspace.onboarding``)."""
from __future__ import annotations

from fastapi import HTTPException, Request, status


async def read_capped(request: Request, cap: int) -> bytes:
    """The raw body, refused (413) as soon as it passes ``cap``: nothing larger is ever held."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {cap} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
