"""The host's handlers against a scripted backend: what the user would read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from skill.backend import RenderStatus
from skill.errors import StreamDropped
from skill.events import Event
from skill.replies import Reply
from skill.runtime import Runtime
from skill.store import Store
from tests.fake_backend import VIDEO_DRAFT, ScriptedBackend


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make(tmp_path: Path, lang: str = "en") -> tuple[Runtime, ScriptedBackend, Clock]:
    clock = Clock()
    holder: dict[str, ScriptedBackend] = {}

    def factory(notice: Any) -> ScriptedBackend:
        holder["b"] = ScriptedBackend(notice)
        return holder["b"]

    rt = Runtime(factory, Store(), lang=lang, sleep=clock.sleep, clock=clock, cwd=tmp_path)
    return rt, holder["b"], clock


def run(rt: Runtime, work: Callable[[], Awaitable[None]]) -> list[Reply]:
    async def go() -> list[Reply]:
        return [r async for r in rt.stream(work)]

    return asyncio.run(go())


def texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies if r.kind != "progress"]


def test_partials_then_aggregate_show_text_once_and_gui_is_translated(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    chunks = ["Done! I cropped the video ", "to vertical 9:16. Click ",
              "the Export button to download ", "your video."]
    be.streams.append([Event("text", text=c, partial=True) for c in chunks]
                      + [Event("text", text="".join(chunks))])
    out = texts(run(rt, lambda: rt.edit("make it vertical")))
    joined = " ".join(out)
    assert joined.count("cropped the video") == 1
    assert "Click" not in joined and "click" not in joined
    assert any("export" in t.lower() for t in out)


def test_tool_only_stream_reports_what_changed(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    after = {"t": VIDEO_DRAFT["t"] + [{"tt": 7, "m": {"name": "Title"},
                                        "sg": [{"s": 0, "d": 3000, "m": {"text": "Hi"}}]}],
             "m": {"ratio": "1:1", "w": 1080, "h": 1080}}
    be.states = [VIDEO_DRAFT, after]
    be.streams.append([Event("tool_call", name="add_title"), Event("tool_result", name="add_title")])
    out = texts(run(rt, lambda: rt.edit("title Hi, square")))
    assert len(out) == 1
    assert "canvas is now 1:1" in out[0] and 'Title: "Hi" (0-3s)' in out[0]


def test_tool_only_stream_without_change_says_so(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.streams.append([Event("tool_call", name="noop")])
    out = texts(run(rt, lambda: rt.edit("do something")))
    assert out == [
        "The editor finished without changing the timeline. Try describing the edit more "
        'specifically, e.g. "crop to square and add captions".'
    ]


def test_heartbeats_show_still_working_at_most_every_two_minutes(tmp_path: Path) -> None:
    rt, be, clock = make(tmp_path)

    async def ticking() -> Any:
        return None

    events: list[Event | BaseException] = []
    script = []
    for _ in range(10):
        script.append(Event("heartbeat"))
    be.streams.append(script)
    # Advance the clock 50 s per heartbeat via a wrapper backend send.
    original = be.send

    async def send(text: str) -> Any:
        async for ev in original(text):
            clock.now += 50
            yield ev

    be.send = send  # type: ignore[method-assign]
    out = texts(run(rt, lambda: rt.edit("generate")))
    assert out.count("⏳ Still working…") == 3  # at 150 s, 300 s, 450 s of 500 s
    del events, ticking


def test_in_stream_error_becomes_clear_message(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.streams.append([Event("error", text="ValueError: model overloaded", code="")])
    replies = run(rt, lambda: rt.edit("x"))
    err = [r for r in replies if r.kind == "error"]
    assert len(err) == 1 and err[0].exit_code == 1
    assert "model overloaded" in err[0].text and "timeline is unchanged" in err[0].text
    assert "{" not in err[0].text


def test_dropped_stream_never_resends_and_polls_state(tmp_path: Path) -> None:
    rt, be, clock = make(tmp_path)
    be.streams.append([Event("text", text="Working on ", partial=True),
                       StreamDropped("cut")])
    be.states = [VIDEO_DRAFT] * 7
    replies = run(rt, lambda: rt.edit("add music"))
    assert be.sent == ["add music"]
    assert clock.sleeps == [30.0, 60.0, 60.0, 60.0, 60.0]
    err = [r for r in replies if r.kind == "error"]
    assert err and "did not resend" in err[0].text and "has not changed" in err[0].text


def test_dropped_stream_reports_change_when_state_moves(tmp_path: Path) -> None:
    rt, be, clock = make(tmp_path)
    be.streams.append([StreamDropped("cut")])
    changed = {"t": VIDEO_DRAFT["t"], "m": {"ratio": "1:1"}}
    be.states = [VIDEO_DRAFT, VIDEO_DRAFT, changed]
    replies = run(rt, lambda: rt.edit("square"))
    assert clock.sleeps == [30.0, 60.0]
    assert any("canvas is now 1:1" in r.text for r in replies)
    assert not [r for r in replies if r.kind == "error"]


def test_export_refuses_empty_timeline(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.states = [{"t": []}]
    replies = run(rt, lambda: rt.export())
    assert [r.key for r in replies if r.kind == "error"] == ["export_empty"]
    assert not any(c[0] == "submit" for c in be.calls)


def test_export_records_job_before_waiting_and_retries_once(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    seen: list[dict[str, Any]] = []
    original = be.wait_render

    async def wait(job: Any, **kw: Any) -> RenderStatus:
        seen.append(Store().read("renders"))
        return await original(job, **kw)

    be.wait_render = wait  # type: ignore[method-assign]
    be.render_results = [RenderStatus("failed", detail="gpu lost")]
    replies = run(rt, lambda: rt.export(tmp_path / "out.mp4"))
    assert [list(d["jobs"]) for d in seen] == [["render_1"], ["render_2"]]
    files = [r for r in replies if r.kind == "file"]
    assert files and files[0].file == str(tmp_path / "out.mp4")
    assert Store().read("renders") == {"jobs": {}}
    assert any(r.key == "export_retrying" for r in replies)


def test_export_fails_after_second_failure_and_forgets_job(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.render_results = [RenderStatus("failed", detail="a"), RenderStatus("failed", detail="b")]
    replies = run(rt, lambda: rt.export(tmp_path / "o.mp4"))
    assert [r.key for r in replies if r.kind == "error"] == ["error_render"]
    assert not (tmp_path / "o.mp4").exists()
    assert Store().read("renders") == {"jobs": {}}


def test_export_never_overwrites_without_force(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    (tmp_path / "o.mp4").write_bytes(b"mine")
    replies = run(rt, lambda: rt.export(tmp_path / "o.mp4"))
    assert [r.key for r in replies if r.kind == "error"] == ["export_exists"]
    assert (tmp_path / "o.mp4").read_bytes() == b"mine"
    assert "--force" in replies[-1].text
    rt2, _, _ = make(tmp_path)
    replies = run(rt2, lambda: rt2.export(tmp_path / "o.mp4", force=True))
    assert (tmp_path / "o.mp4").read_bytes() != b"mine"


def test_export_resume_finishes_pending_job(tmp_path: Path) -> None:
    store = Store()
    store.write("renders", {"jobs": {"render_77": {
        "backend": "scripted", "session_id": "s1", "dest": str(tmp_path / "r.mp4"),
        "force": False, "preview": False, "created": 1.0, "attempt": 1, "draft": VIDEO_DRAFT}}})
    rt, be, _ = make(tmp_path)
    replies = run(rt, lambda: rt.export(resume=True))
    assert ("wait", "render_77") in be.calls
    assert not any(c[0] == "submit" for c in be.calls)
    assert (tmp_path / "r.mp4").exists()
    assert Store().read("renders") == {"jobs": {}}
    assert any(r.key == "export_resuming" for r in replies)


def test_export_resume_finishes_every_pending_file_oldest_first(tmp_path: Path) -> None:
    """An export in several files (formats, clips) interrupted leaves several jobs: one
    ``--resume`` saves them all; ``--resume -o`` names one file, the latest export's."""
    def record(job: str, name: str, created: float) -> dict[str, Any]:
        return {"backend": "scripted", "session_id": "s1", "dest": str(tmp_path / name),
                "force": False, "preview": False, "created": created, "attempt": 1,
                "draft": VIDEO_DRAFT}

    jobs = {"render_2": record("render_2", "b-square.mp4", 2.0),
            "render_1": record("render_1", "b-reel.mp4", 1.0)}
    Store().write("renders", {"jobs": jobs})
    rt, be, _ = make(tmp_path)
    replies = run(rt, lambda: rt.export(resume=True))
    assert [c[1] for c in be.calls if c[0] == "wait"] == ["render_1", "render_2"]
    assert not any(c[0] == "submit" for c in be.calls)
    assert (tmp_path / "b-reel.mp4").exists() and (tmp_path / "b-square.mp4").exists()
    assert [r.key for r in replies if r.kind == "file"] == ["export_done", "export_done"]
    assert Store().read("renders") == {"jobs": {}}

    Store().write("renders", {"jobs": jobs})
    rt, be, _ = make(tmp_path)
    run(rt, lambda: rt.export(out=str(tmp_path / "elsewhere.mp4"), resume=True))
    assert [c[1] for c in be.calls if c[0] == "wait"] == ["render_2"]
    assert (tmp_path / "elsewhere.mp4").exists()
    assert list(Store().read("renders")["jobs"]) == ["render_1"]   # still there for later


def test_resume_with_nothing_pending(tmp_path: Path) -> None:
    rt, _, _ = make(tmp_path)
    replies = run(rt, lambda: rt.export(resume=True))
    assert [r.key for r in replies] == ["export_nothing_pending"]


def test_default_export_name_is_descriptive(tmp_path: Path) -> None:
    rt, _, _ = make(tmp_path)
    replies = run(rt, lambda: rt.export())
    f = [r.file for r in replies if r.kind == "file"][0]
    assert Path(f).parent == tmp_path
    assert Path(f).name.startswith("instagram-9x16-") and f.endswith(".mp4")


@pytest.mark.parametrize(("utterance", "expected_calls"), [
    ("add lo-fi music then export", ["send", "submit"]),
    ("how many credits do I have left", []),
    ("导出", ["submit"]),
])
def test_handle_routes_steps(tmp_path: Path, utterance: str, expected_calls: list[str]) -> None:
    rt, be, _ = make(tmp_path)

    async def go() -> list[Reply]:
        return [r async for r in rt.handle(utterance)]

    replies = asyncio.run(go())
    assert [c[0] for c in be.calls if c[0] in ("send", "submit")] == expected_calls
    if "credits" in utterance:
        assert any("85 available" in r.text for r in replies)
    if utterance == "导出":
        assert rt.lang == "zh"
        assert any("已保存" in r.text for r in replies)


def test_status_prints_seed_summary(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.states = [{"t": [
        {"tt": 0, "m": {"name": "city timelapse"}, "sg": [{"s": 0, "d": 10000}]},
        {"tt": 1, "m": {"name": "Lo-fi", "role": "bgm"},
         "sg": [{"s": 0, "d": 10000, "m": {"volume": 0.35, "name": "Lo-fi"}}]},
        {"tt": 7, "m": {"name": "Title"}, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]},
    ]}]
    replies = run(rt, lambda: rt.status())
    assert replies[0].text == ('Timeline (3 tracks): 1. Video: city timelapse (0-10s) '
                               '2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)')


@pytest.mark.parametrize(("utterance", "key"), [
    ("don't export yet", "nothing_to_do"),
    ("upload", "upload_which"),
    ("上传", "upload_which"),
])
def test_say_without_anything_to_run(tmp_path: Path, utterance: str, key: str) -> None:
    rt, be, _ = make(tmp_path)
    replies = asyncio.run(_collect(rt, utterance))
    assert [r.key for r in replies] == [key]
    assert not [c for c in be.calls if c[0] in ("upload", "send", "submit")]


async def _collect(rt: Runtime, utterance: str) -> list[Reply]:
    return [r async for r in rt.handle(utterance)]


def test_place_file_never_clobbers_without_overwrite(tmp_path: Path) -> None:
    from skill.errors import InputError
    from skill.exporter import place_file

    src, dest = tmp_path / "a", tmp_path / "b"
    src.write_bytes(b"new")
    dest.write_bytes(b"old")
    with pytest.raises(InputError) as err:
        place_file(src, dest, overwrite=False)
    assert err.value.key == "export_exists" and dest.read_bytes() == b"old" and src.exists()
    place_file(src, dest, overwrite=True)
    assert dest.read_bytes() == b"new" and not src.exists()
    src.write_bytes(b"third")
    place_file(src, tmp_path / "c", overwrite=False)
    assert (tmp_path / "c").read_bytes() == b"third" and not src.exists()


def test_export_leaves_no_staging_folder(tmp_path: Path) -> None:
    rt, _, _ = make(tmp_path)
    run(rt, lambda: rt.export(tmp_path / "x.mp4"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".igedit")) == []


def test_status_of_an_empty_session_says_what_to_do(tmp_path: Path) -> None:
    rt, be, _ = make(tmp_path)
    be.states = [{"t": []}]
    replies = run(rt, lambda: rt.status())
    assert [r.text for r in replies] == [
        "Timeline (0 tracks): empty",
        "The timeline is empty. Upload a clip first (igedit upload <file>)."]


def test_a_state_file_found_corrupt_mid_command_is_reported(tmp_path: Path, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "renders.json").write_text('{"schema": 1, "jobs": {')
    rt, _, _ = make(tmp_path)
    replies = run(rt, lambda: rt.export(resume=True))
    keys = [r.key for r in replies]
    assert keys == ["export_nothing_pending", "store_warning"]
    assert "moved aside" in replies[1].text and "renders.json" in replies[1].text
