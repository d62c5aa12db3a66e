from __future__ import annotations

import pytest

from crawler.base import Platform
from crawler.registry import PLATFORMS, REGISTRY, build_registry, platform_class
from crawler.terms import SearchProfile, search_terms


def test_terms_cover_names_pirate_words_and_episodes() -> None:
    terms = search_terms(
        "霸道总裁爱上我",
        ["总裁爱上我"],
        SearchProfile(words=("全集", "大结局"), episodes=(1, 12), extra_terms=("霸总 合集",)),
    )
    assert terms[:2] == ["霸道总裁爱上我", "总裁爱上我"]
    assert "霸道总裁爱上我 全集" in terms and "总裁爱上我 大结局" in terms
    assert "霸道总裁爱上我 第12集" in terms and "霸总 合集" in terms
    assert len(terms) == len(set(terms)) == 2 + 4 + 4 + 1


def test_default_words_include_what_pirates_add() -> None:
    terms = search_terms("甜宠", [])
    for word in ("全集", "合集", "完整版", "大结局"):
        assert f"甜宠 {word}" in terms


def test_registry_is_explicit_and_refuses_duplicates() -> None:
    assert set(REGISTRY) == {"simulated", "ytdlp", "feed"}
    assert all(issubclass(p, Platform) for p in PLATFORMS)

    class Impostor(Platform):
        name = "feed"

    with pytest.raises(ValueError, match="duplicate"):
        build_registry((*PLATFORMS, Impostor))
    with pytest.raises(KeyError, match="unknown platform"):
        platform_class("nope")
