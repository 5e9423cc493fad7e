"""``igedit mcp`` through the MCP SDK's own client.

1. A real session over stdio: ``python -m skill mcp --backend local`` in a subprocess,
   one session for the module (list, upload, edit, timeline tool and resource, export
   with a progress token, the export-exists error).
2. In-process sessions against a scripted backend for what is hard to provoke for
   real: a silent backend (heartbeats), a crash, a configuration error, token masking.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from skill.backend import RenderJob, RenderStatus
from skill.errors import ConfigError
from skill.front.mcp_server import McpSession, ProgressTrack, build_server
from skill.replies import Reply
from skill.runtime import Runtime
from skill.store import Store
from tests.fake_backend import VIDEO_DRAFT, ScriptedBackend

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"upload_media", "edit", "apply_edits", "timeline", "preview_sheet", "export",
         "credits", "transcript"}
INSTRUCTION = "make it a square post with lo-fi music and the title 'Hi'"


def _text(result: Any) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def _make_clip(path: Path) -> None:
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-y", "-loglevel", "error",
         "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=2",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
         "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(path)],
        check=True, capture_output=True, timeout=60,
    )


# ====================================================================== real stdio session
@pytest.fixture(scope="module")
def stdio_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run one scripted MCP session over stdio and record everything the client saw."""
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    work = tmp_path_factory.mktemp("mcp")
    clip = work / "clip.mp4"
    _make_clip(clip)
    out_mp4 = work / "out" / "post.mp4"
    out_mp4.parent.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(work),
        "IGEDIT_HOME": str(work / "state"), "IGEDIT_SKILL_DIR": str(ROOT),
        "PYTHONPATH": str(ROOT), "NEMO_API_URL": "http://127.0.0.1:9",
        "IGEDIT_MCP_PROGRESS_EVERY": "1",
    }
    params = StdioServerParameters(command=sys.executable,
                                   args=["-m", "skill", "mcp", "--backend", "local"],
                                   env=env, cwd=str(work))
    rec: dict[str, Any] = {"clip": clip, "out": out_mp4, "stream_errors": [], "progress": []}
    errlog = (work / "stderr.log").open("w")

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):  # a line on stdout that was not protocol
            rec["stream_errors"].append(repr(message))

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        rec["progress"].append((time.monotonic(), progress, total, message))

    async def session() -> None:
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write, message_handler=on_message,
                              read_timeout_seconds=240) as s:
            await s.initialize()
            rec["tools"] = await s.list_tools()
            rec["resources"] = await s.list_resources()
            # before any upload: messages the engine writes, told in tool terms
            rec["empty_edit"] = await s.call_tool("edit", {"instruction": "make it square"})
            rec["no_pending"] = await s.call_tool("export", {"path": str(out_mp4),
                                                             "resume": True})
            rec["upload"] = await s.call_tool("upload_media", {"sources": [str(clip)]})
            rec["no_song"] = await s.call_tool("edit", {"instruction": "add music song.mp3"})
            rec["impossible"] = await s.call_tool("edit", {"instruction": "导出4K画质"})
            rec["edit"] = await s.call_tool("edit", {"instruction": INSTRUCTION})
            rec["ops_bad"] = await s.call_tool("apply_edits", {"edits": [
                {"op": "set_look", "args": {"look": "warm"}}, {"op": "add_title", "args": {}}]})
            rec["ops"] = await s.call_tool("apply_edits", {"edits": [
                {"op": "set_look", "args": {"look": "vivid+bright"}},
                {"op": "set_music", "args": {"volume_pct": 20}}]})
            rec["wrong_arg"] = await s.call_tool("export", {"file": "x.mp4"})
            rec["timeline"] = await s.call_tool("timeline", {})
            rec["sheet"] = await s.call_tool("preview_sheet", {"frames": 4})
            rec["resource"] = await s.read_resource("igedit://timeline")
            rec["credits"] = await s.call_tool("credits", {})
            rec["export"] = await s.call_tool("export", {"path": str(out_mp4)},
                                              progress_callback=on_progress)
            rec["exists"] = await s.call_tool("export", {"path": str(out_mp4)})

    try:
        asyncio.run(asyncio.wait_for(session(), timeout=300))
    finally:
        errlog.close()
    rec["stderr"] = (work / "stderr.log").read_text(errors="replace")
    return rec


def test_stdio_lists_the_tools_and_the_timeline_resource(stdio_run: dict[str, Any]) -> None:
    tools = {t.name: t for t in stdio_run["tools"].tools}
    assert set(tools) == TOOLS
    export_schema = tools["export"].input_schema
    assert export_schema["required"] == ["path"]
    assert set(export_schema["properties"]) == {"path", "force", "preview", "resume", "formats",
                                                "lang", "clip", "each"}
    assert tools["upload_media"].input_schema["properties"]["sources"]["type"] == "array"
    assert [str(r.uri) for r in stdio_run["resources"].resources] == ["igedit://timeline"]
    assert stdio_run["stream_errors"] == []  # nothing but protocol on stdout


def test_stdio_upload_edit_and_timeline(stdio_run: dict[str, Any]) -> None:
    upload = stdio_run["upload"]
    assert not upload.is_error, _text(upload)
    assert "clip.mp4" in _text(upload) and "720×1280" in _text(upload)

    edit = stdio_run["edit"]
    assert not edit.is_error, _text(edit)
    assert _text(edit).strip()

    timeline = stdio_run["timeline"]
    assert not timeline.is_error, _text(timeline)
    summary = _text(timeline)
    assert summary.startswith("Timeline (") and "Hi" in summary
    data = timeline.structured_content
    assert data["summary"] in summary
    assert data["draft"]["t"] and data["draft"]["m"]["w"] == data["draft"]["m"]["h"] == 1080
    assert {t["tt"] for t in data["draft"]["t"]} >= {0, 1, 7}  # video, music, title
    tl = data["timeline"]                                        # the documented JSON
    assert tl["canvas"]["ratio"] == "1:1" and tl["music"]["mood"] == "lofi"
    assert [t["text"] for t in tl["texts"]] == ["Hi"] and tl["clips"][0]["source"] == "clip.mp4"

    contents = stdio_run["resource"].contents
    assert contents[0].mime_type == "application/json"
    assert json.loads(contents[0].text) == data

    credits = stdio_run["credits"]
    assert not credits.is_error and _text(credits).strip()


def test_stdio_an_impossible_edit_is_an_error_with_not_done(stdio_run: dict[str, Any]) -> None:
    r = stdio_run["impossible"]
    assert r.is_error                                   # nothing at all was done
    assert r.structured_content["done"] == []
    [nd] = r.structured_content["not_done"]
    assert nd["text"] == "导出4K画质" and nd["reason"] == "above_1080"
    assert "未完成" in _text(r)                          # the call's words set the language


def test_stdio_apply_edits_is_all_or_nothing(stdio_run: dict[str, Any]) -> None:
    bad = stdio_run["ops_bad"]
    assert bad.is_error
    assert "edits[1].args.text" in _text(bad) and "is required" in _text(bad)
    assert "Nothing was applied" in _text(bad) and "--" not in _text(bad)
    ok = stdio_run["ops"]
    assert not ok.is_error, _text(ok)
    assert ok.structured_content["not_done"] == []
    assert ok.structured_content["done"] == ["Applied a vivid + brighter look.",
                                             "Music: volume 20%."]
    assert _text(ok).startswith("Done")                 # English again: nothing carried over
    schema = {t.name: t for t in stdio_run["tools"].tools}["apply_edits"].input_schema
    names = [v["properties"]["op"]["const"] for v in schema["properties"]["edits"]["items"]["oneOf"]]
    assert {"set_aspect", "add_music", "add_title", "trim"} <= set(names)


def test_stdio_preview_sheet_returns_the_png_as_image_content(stdio_run: dict[str, Any]) -> None:
    import base64
    import struct

    r = stdio_run["sheet"]
    assert not r.is_error, _text(r)
    [image] = [c for c in r.content if getattr(c, "type", "") == "image"]
    assert image.mime_type == "image/png"
    png = base64.b64decode(image.data)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    data = r.structured_content
    assert (width, height) == (data["width"], data["height"])
    assert data["frames"] == 4 and len(data["times_ms"]) == 4
    assert Path(data["path"]).read_bytes() == png
    assert "4 frames" in _text(r) and "Describe it to the user" in _text(r)


def test_stdio_a_wrong_argument_name_is_a_clear_message(stdio_run: dict[str, Any]) -> None:
    r = stdio_run["wrong_arg"]
    assert r.is_error
    assert _text(r) == ("Unknown parameter `file`. This tool takes: path, force, preview, resume, "
                        "formats, lang, clip, each.")


def test_stdio_export_reports_progress_and_writes_a_square_mp4(stdio_run: dict[str, Any]) -> None:
    import av

    export = stdio_run["export"]
    assert not export.is_error, _text(export)
    out: Path = stdio_run["out"]
    assert export.structured_content == {"file": str(out)}
    assert str(out) in _text(export)
    progress = stdio_run["progress"]
    assert progress, "no progress notifications arrived"
    values = [p[1] for p in progress]
    assert values == sorted(values) and len(set(values)) == len(values)  # strictly increasing
    assert all(p[3] for p in progress)  # every notification says what is happening
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == (1080, 1080)
        assert video.codec_context.name == "h264"
        assert container.streams.audio, "the export has no audio"


def test_stdio_messages_name_tools_and_parameters_not_cli_commands(
        stdio_run: dict[str, Any]) -> None:
    import re

    said = {name: _text(stdio_run[name]) for name in ("empty_edit", "no_pending", "no_song",
                                                       "exists")}
    assert "Upload a clip first (the upload_media tool)" in said["empty_edit"]
    empty = stdio_run["empty_edit"]            # nothing of the edit was done, and why
    assert empty.is_error and empty.structured_content["done"] == []
    assert [(n["text"], n["reason"]) for n in empty.structured_content["not_done"]] == [
        ("make it square", "no_media")]
    assert "Start one with the export tool" in said["no_pending"]
    assert "Upload it first (the upload_media tool)" in said["no_song"]
    assert "force=true" in said["exists"]
    for name, text in said.items():
        assert not re.search(r"igedit [a-z]|(?<![\w-])--?[a-z]", text), (name, text)


def test_stdio_export_to_an_existing_file_is_a_clear_tool_error(
        stdio_run: dict[str, Any]) -> None:
    result = stdio_run["exists"]
    assert result.is_error
    text = _text(result)
    assert "already exists" in text and "force" in text
    assert "Traceback" not in text and "{" not in text
    assert "Traceback" not in stdio_run["stderr"]


# ====================================================================== in-process sessions
class SilentRender(ScriptedBackend):
    """A render that takes a while and reports nothing until it is done."""

    delay = 0.6

    async def wait_render(self, job: RenderJob, *, progress: Any = None,
                          notice: Any = None) -> RenderStatus:
        await asyncio.sleep(self.delay)
        return RenderStatus("completed", 100, url=f"file:///fake/{job.id}.mp4")


class Crashing(ScriptedBackend):
    async def credits(self) -> Any:
        raise RuntimeError("internal detail /secret/path")


def _session(backend: type[ScriptedBackend], tmp_path: Path, *, every: float = 10.0,
             draft: dict[str, Any] | None = None) -> McpSession:
    def runtime() -> Runtime:
        def factory(notice: Any) -> ScriptedBackend:
            be = backend(notice)
            if draft is not None:
                be.states = [draft]
            return be

        return Runtime(factory, Store(), cwd=tmp_path)

    return McpSession(runtime, progress_every=every)


def _with_client(session: McpSession, body: Callable[[Any], Awaitable[None]]) -> None:
    from mcp.client.client import Client

    async def main() -> None:
        async with Client(build_server(session)) as client:
            await body(client)

    asyncio.run(asyncio.wait_for(main(), timeout=30))


def test_heartbeats_keep_coming_while_the_backend_is_silent(tmp_path: Path) -> None:
    got: list[tuple[float, float, str | None]] = []
    result: dict[str, Any] = {}

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        got.append((time.monotonic(), progress, message))

    async def body(client: Any) -> None:
        started = time.monotonic()
        result["r"] = await client.call_tool("export", {"path": str(tmp_path / "a.mp4")},
                                             progress_callback=on_progress)
        result["took"] = time.monotonic() - started

    _with_client(_session(SilentRender, tmp_path, every=0.15), body)
    assert not result["r"].is_error, _text(result["r"])
    assert len(got) >= 3, got
    values = [g[1] for g in got]
    assert values == sorted(values) and len(set(values)) == len(values)
    gaps = [b[0] - a[0] for a, b in zip(got, got[1:], strict=False)]
    assert max(gaps) < 0.15 + 0.1, gaps
    assert any(m and "Rendering" in m for _, _, m in got)


def test_without_a_progress_token_nothing_is_sent_and_the_tool_still_works(
        tmp_path: Path) -> None:
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["r"] = await client.call_tool("export", {"path": str(tmp_path / "b.mp4")})

    _with_client(_session(SilentRender, tmp_path, every=0.1), body)
    assert not result["r"].is_error
    assert (tmp_path / "b.mp4").exists()


def test_an_unexpected_crash_is_a_plain_tool_error(tmp_path: Path) -> None:
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["r"] = await client.call_tool("credits", {})

    _with_client(_session(Crashing, tmp_path), body)
    text = _text(result["r"])
    assert result["r"].is_error
    assert text.startswith("Something went wrong")
    assert "/secret/path" not in text and "Traceback" not in text


def test_a_configuration_error_is_a_tool_error_not_a_crash(tmp_path: Path) -> None:
    def broken() -> Runtime:
        raise ConfigError("unknown backend 'x'; use auto, cloud or local", key="error_config")

    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["r"] = await client.call_tool("upload_media", {"sources": ["a.mp4"]})
        result["tools"] = await client.list_tools()

    _with_client(McpSession(broken), body)
    assert result["r"].is_error
    assert _text(result["r"]) == "Configuration problem: unknown backend 'x'; use auto, cloud or local"
    assert {t.name for t in result["tools"].tools} == TOOLS


def test_timeline_masks_tokens_in_the_structured_draft(tmp_path: Path) -> None:
    draft = json.loads(json.dumps(VIDEO_DRAFT))
    draft["t"][0]["m"]["url"] = "https://cdn.example/v.mp4?token=nmv_abcdef123456"
    result: dict[str, Any] = {}

    async def body(client: Any) -> None:
        result["tool"] = await client.call_tool("timeline", {})
        result["res"] = await client.read_resource("igedit://timeline")

    _with_client(_session(ScriptedBackend, tmp_path, draft=draft), body)
    dumped = json.dumps(result["tool"].structured_content)
    assert "nmv_abcdef123456" not in dumped and "[redacted]" in dumped
    assert "nmv_abcdef123456" not in result["res"].contents[0].text
    assert _text(result["tool"]) == "Timeline (1 track): 1. Video: clip.mp4 (0-10s)"


def test_progress_track_only_grows_across_phases() -> None:
    track = ProgressTrack("en")
    steps = [
        Reply(kind="progress", label="upload", done=50, total=100),
        Reply(kind="progress", label="upload", done=50, total=100),  # nothing new
        Reply(kind="progress", label="upload", done=100, total=100),
        Reply(kind="notice", text="Rendering your video…"),
        Reply(kind="progress", label="render", done=10, total=100),
        Reply(kind="progress", label="download", done=5, total=None),
    ]
    sent = [track.on_reply(r) for r in steps]
    assert sent[1] is None
    values = [s[0] for s in sent if s is not None]
    assert values == sorted(values) and len(set(values)) == len(values)    # only grows
    assert all(0 <= v < 99 for v in values)                                  # one 0-100 scale
    assert values[0] == pytest.approx(99 * 0.7 * 0.5)       # upload: first phase, half done
    assert values[1] == pytest.approx(99 * 0.7)
    assert [s[1] for s in sent if s is not None][-2:] == ["Rendering: 10%", "Downloading…"]
    beat = track.heartbeat()
    assert values[-1] < beat[0] < 99 and beat[1] == "Downloading…"
    assert track.finish()[0] == 100.0
