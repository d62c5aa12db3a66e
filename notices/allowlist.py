"""Licensed accounts, channels and domains: checked before any notice so none hits a licensee."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from notices.model import CandidateInfo


class AllowKind(StrEnum):
    ACCOUNT = "account"  # uploader id or name on a platform
    CHANNEL = "channel"  # channel id, or a URL prefix of the channel's pages
    DOMAIN = "domain"  # a site and its subdomains


@dataclass(frozen=True)
class AllowEntry:
    kind: AllowKind
    value: str
    platform: str | None = None  # None: every platform
    note: str = ""

    def matches(self, candidate: CandidateInfo) -> bool:
        if self.platform and self.platform != candidate.platform:
            return False
        value = self.value.strip().casefold()
        if not value:
            return False
        if self.kind is AllowKind.ACCOUNT:
            names = (candidate.uploader_id, candidate.uploader_name)
            return any(n and n.strip().casefold() == value for n in names)
        if self.kind is AllowKind.CHANNEL:
            if value.startswith(("http://", "https://")):
                return candidate.url.casefold().startswith(value)
            ids = (candidate.channel_id, candidate.uploader_id)
            return any(i and i.strip().casefold() == value for i in ids)
        host = (urlsplit(candidate.url).hostname or "").casefold()
        return host == value or host.endswith("." + value)


def allowed_by(candidate: CandidateInfo, entries: list[AllowEntry]) -> AllowEntry | None:
    """The first entry that licenses this copy, or None."""
    return next((e for e in entries if e.matches(candidate)), None)
