"""The music bank over HTTP: tenant-scoped, applied to the running matcher at once, bad bodies
refused with a clear error and nothing stored (real app, real SQLite, real WAV/MP4 bodies)."""
from __future__ import annotations

from storage.auth import Role

from .conftest import World
from .test_authz_matrix import music_file


def add(world: World, actor, content: bytes, **params):
    return world.client.post("/api/v1/music-exclusions", params={"title": "stock bgm", **params},
                             content=content, headers=actor.bearer)


def titles(world: World, actor) -> set[str]:
    return {e["title"] for e in world.client.get("/api/v1/music-exclusions", headers=actor.bearer).json()}


def test_a_holders_track_is_theirs_and_the_admins_applies_to_all(world: World) -> None:
    owner_a, owner_b = world.actor(Role.RIGHTS_HOLDER, "A"), world.actor(Role.RIGHTS_HOLDER, "B")
    admin, legal_b = world.actor(Role.ADMIN), world.actor(Role.LEGAL, "B")
    mine = add(world, owner_a, music_file(), title="A's licensed track")
    assert mine.status_code == 201, mine.text
    assert mine.json()["holder"] == "holder-A" and mine.json()["landmarks"] > 50
    everyone = add(world, admin, music_file(), title="trending for all")
    assert everyone.status_code == 201 and everyone.json()["holder"] is None
    assert {"A's licensed track", "trending for all"} <= titles(world, owner_a)
    assert "A's licensed track" not in titles(world, legal_b) and "trending for all" in titles(world, legal_b)
    # the running matcher has both at once
    bank = world.app.state.services.audio.index._bank
    assert {mine.json()["id"], everyone.json()["id"]} <= set(bank)
    # B can neither add for A nor remove A's or the admin's entry
    assert add(world, owner_b, music_file(), holder_id=world.holder_ids["A"]).status_code == 403
    for entry in (mine, everyone):
        gone = world.client.delete(f"/api/v1/music-exclusions/{entry.json()['id']}", headers=owner_b.bearer)
        assert gone.status_code == 404
    assert world.client.delete(f"/api/v1/music-exclusions/{mine.json()['id']}",
                               headers=owner_a.bearer).status_code == 204
    assert mine.json()["id"] not in world.app.state.services.audio.index._bank
    assert "A's licensed track" not in titles(world, admin)


def test_bad_bodies_are_refused_and_nothing_is_stored(world: World) -> None:
    owner = world.actor(Role.RIGHTS_HOLDER, "A")
    before = titles(world, owner)
    empty = add(world, owner, b"", title="empty")
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    junk = add(world, owner, b"this is not a music file at all" * 40, title="junk.mp3")
    assert junk.status_code == 422 and "junk.mp3" in junk.json()["detail"]
    assert "/tmp" not in junk.json()["detail"]  # no server path in the answer
    unknown = add(world, world.actor(Role.ADMIN), music_file(), holder_id=999_999)
    assert unknown.status_code == 400
    assert titles(world, owner) == before
