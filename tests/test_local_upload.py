"""LocalEngine sessions and uploads: what a user sees, what lands in the database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from skill.backend import Backend, MediaInfo, SessionState
from skill.draft import decode_draft, summarize
from skill.engine.local import LocalEngine
from skill.errors import InputError, NetworkError
from skill.templates import render
from tests.servers import serve_in_thread
from tests.test_local_helpers import file_server, make_clip

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def test_local_engine_is_a_backend(home: Path) -> None:
    assert isinstance(LocalEngine(home), Backend)


def test_ready_reuses_the_latest_session_and_fresh_starts_a_new_one(home: Path) -> None:
    async def go() -> tuple[str, str, str, bool]:
        a = LocalEngine(home)
        first = (await a.ready("en")).session_id
        again = (await LocalEngine(home).ready("en")).session_id
        fresh = (await LocalEngine(home).ready("en", fresh=True)).session_id
        lost = await LocalEngine(home, session_id="123").ready("en")
        assert lost.session_id != "123"
        return first, again, fresh, lost.new_session

    first, again, fresh, lost = asyncio.run(go())
    assert first == again
    assert fresh != first
    assert lost is True


def test_upload_references_the_file_and_puts_it_on_the_timeline(
        home: Path, tmp_path: Path, clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "beach day.mp4", cache_dir=clip_cache)
    seen: list[tuple[str, float, float | None]] = []

    async def go() -> tuple[list[MediaInfo], SessionState]:
        eng = LocalEngine(home)
        items = await eng.upload([clip], progress=lambda *a: seen.append(a))
        again = await eng.upload([clip])  # same content: no second clip on the timeline
        st = await eng.state()
        await eng.aclose()
        return items + again, st

    items, st = asyncio.run(go())
    assert items[0].name == "beach day.mp4"
    assert items[0].kind == "video"
    assert items[0].width == 320 and items[0].height == 240
    assert items[0].duration == pytest.approx(1.0, abs=0.1)
    assert items[0].url == clip.as_uri()
    assert items[0].id == items[1].id and len(items[0].id) == 64
    assert seen and seen[-1][0] == "upload" and seen[-1][1] == seen[-1][2]
    draft = st.draft
    assert len(st.media) == 1
    assert summarize(draft).startswith("Timeline (1 track): 1. Video: beach day.mp4 (0-1s)")
    assert not (home / "media").exists() or not any((home / "media").iterdir())  # referenced


@pytest.mark.parametrize("name,content,key", [
    ("notes.txt", b"hello", "error_4001"),
    ("fake.mp4", b"MZ\x90\x00" + b"\x00" * 100, "error_4001"),
    ("missing.mp4", None, "file_missing"),
])
def test_bad_uploads_are_refused_and_change_nothing(
        home: Path, tmp_path: Path, clip_cache: Path, name: str, content: bytes | None,
        key: str) -> None:
    good = make_clip(tmp_path / "good.mp4", cache_dir=clip_cache)
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)

    async def go() -> SessionState:
        eng = LocalEngine(home)
        with pytest.raises(InputError) as err:
            await eng.upload([good, bad])
        assert err.value.key == key
        message = render(err.value.key, "en", **err.value.ctx)
        assert name in message
        return await eng.state()

    st = asyncio.run(go())
    assert st.media == ()
    assert not decode_draft(st.draft_raw).ready


def test_url_upload_downloads_into_media(home: Path, tmp_path: Path, clip_cache: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_ALLOW_PRIVATE_URLS", "1")  # the file server is on loopback
    served = tmp_path / "served"
    served.mkdir()
    make_clip(served / "remote.mp4", cache_dir=clip_cache)

    async def go(base: str) -> tuple[list[MediaInfo], SessionState]:
        eng = LocalEngine(home)
        items = await eng.upload([f"{base}/files/remote.mp4"])
        with pytest.raises(InputError) as err:
            await eng.upload([f"{base}/files/gone.mp4"])
        assert render(err.value.key, "en", **err.value.ctx).endswith(
            "HTTP 404. Check the link, or download the file yourself and upload the local copy.")
        st = await eng.state()
        await eng.aclose()
        return items, st

    with serve_in_thread(file_server(served)) as base:
        items, st = asyncio.run(go(base))
    stored = home / "media" / f"{items[0].id}.mp4"
    assert stored.is_file()
    assert stored.read_bytes() == (served / "remote.mp4").read_bytes()
    assert items[0].name == "remote.mp4"
    assert [p.name for p in (home / "media").iterdir()] == [stored.name]  # no temp left
    assert st.draft.ready


def test_url_upload_offline_says_so(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_ALLOW_PRIVATE_URLS", "1")  # reach the closed loopback port
    async def go() -> NetworkError:
        eng = LocalEngine(home)
        with pytest.raises(NetworkError) as err:
            await eng.upload(["http://127.0.0.1:9/clip.mp4"])
        await eng.aclose()
        return err.value

    err = asyncio.run(go())
    assert render(err.key, "en", **err.ctx) == (
        "Could not download http://127.0.0.1:9/clip.mp4: 127.0.0.1 cannot be reached (are you "
        "offline?). Download the file yourself and upload the local copy.")


_OTHER_PROCESS = textwrap.dedent("""
    import asyncio, json, sys
    from pathlib import Path
    from skill.engine.local import LocalEngine

    async def main():
        eng = LocalEngine(Path(sys.argv[1]))
        info = await eng.ready("en")
        if len(sys.argv) > 2:
            await eng.upload([sys.argv[2]])
        st = await eng.state()
        print(json.dumps({"sid": info.session_id, "media": [m.name for m in st.media],
                          "draft": st.draft_raw}))
        await eng.aclose()

    asyncio.run(main())
""")


def test_separate_processes_share_one_engine(home: Path, tmp_path: Path, clip_cache: Path) -> None:
    import json

    clip = make_clip(tmp_path / "shared.mp4", cache_dir=clip_cache)

    def other(*args: str) -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, str(home), *args],  # noqa: S603
                             check=True, capture_output=True, text=True, cwd=ROOT, timeout=60)
        return dict(json.loads(out.stdout))

    first = other(str(clip))  # another process uploads

    async def here() -> SessionState:
        eng = LocalEngine(home)
        info = await eng.ready("en")
        assert info.session_id == first["sid"]
        return await eng.state()

    st = asyncio.run(here())
    assert [m.name for m in st.media] == ["shared.mp4"]
    assert st.draft_raw == first["draft"]
    assert other()["sid"] == first["sid"]
