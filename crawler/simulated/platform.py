"""The ``simulated`` plugin: reads the simulated platform's JSON API (option ``base_url``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from crawler.base import Platform, RawPage
from crawler.errors import MalformedResponse
from crawler.models import Candidate


class SimulatedPlatform(Platform):
    name: ClassVar[str] = "simulated"
    supports_accounts: ClassVar[bool] = True

    @property
    def base_url(self) -> str:
        return str(self.option("base_url", "http://127.0.0.1:8377")).rstrip("/")

    async def _search_page(self, term: str, cursor: str | None) -> RawPage:
        body = await self.http.get_json(
            f"{self.base_url}/api/search", {"q": term, "page": cursor or "1"}
        )
        next_page = _field(body, "next_page", (int, type(None)))
        return RawPage(self._items(body), str(next_page) if next_page else None, done=not next_page)

    async def _new_page(self, cursor: str | None) -> RawPage:
        return await self._listing(f"{self.base_url}/api/videos", cursor)

    async def _account_page(self, account: str, cursor: str | None) -> RawPage:
        return await self._listing(f"{self.base_url}/api/users/{account}/videos", cursor)

    async def _listing(self, url: str, cursor: str | None) -> RawPage:
        body = await self.http.get_json(url, {"cursor": cursor or "0"})
        next_cursor = _field(body, "next_cursor", str)
        has_more = _field(body, "has_more", bool)
        return RawPage(self._items(body), next_cursor, done=not has_more)

    def _items(self, body: Any) -> list[Candidate]:
        items = _field(body, "items", list)
        try:
            return [
                Candidate(
                    platform=self.name,
                    video_id=str(item["id"]),
                    url=str(item["url"]),
                    title=str(item["title"]),
                    uploader_id=str(item["uploader"]["id"]),
                    uploader_name=str(item["uploader"]["name"]),
                    uploaded_at=datetime.fromisoformat(item["uploaded_at"]),
                    duration_s=item.get("duration"),
                    view_count=item.get("views"),
                    media_url=str(item["media_url"]),
                )
                for item in items
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(f"{self.name}: listing item lacks {exc}") from exc


def _field(body: Any, key: str, kind) -> Any:
    if not isinstance(body, dict) or not isinstance(body.get(key), kind):
        raise MalformedResponse(f"simulated: response field {key!r} missing or of the wrong type")
    return body[key]
