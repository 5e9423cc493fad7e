"""Several formats from one edit (issue 16): ``make`` with the words, ``igedit export
--formats``, the MCP export tool's ``formats``; one file per format, each laid out for its
canvas (probed with PyAV); nothing overwritten silently. And the goal requests through
the cloud backend (the words reach NemoVideo unchanged) and through ``igedit serve``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.draft import decode_draft, encode_draft
from skill.engine.ops import PlanContext
from skill.engine.ops.formats import SetFormats, draft_for_format, draft_formats
from skill.format_export import _order
from skill.format_export import draft_formats as asked
from skill.front.cli import main
from tests.fake_nemo import FakeNemo
from tests.media import plain_clip, solid_clip
from tests.test_seed_examples import probe


def lowest_bright_row(path: Path, t: float = 0.5) -> float:
    """The lowest row holding near-white pixels at ``t`` s, as a fraction of the height."""
    import av
    import numpy as np

    with av.open(str(path)) as f:
        for frame in f.decode(video=0):
            if frame.time is not None and frame.time >= t:
                rgb = frame.to_ndarray(format="rgb24")
                rows = np.nonzero(((rgb > 200).all(axis=2)).any(axis=1))[0]
                return float(rows.max()) / rgb.shape[0] if rows.size else 0.0
    return 0.0


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def dark(tmp_path: Path) -> Path:
    return solid_clip(tmp_path / "dark.mp4", seconds=1.0, size="320x180", audio=True)


# ---------------------------------------------------------------- make, in words

def test_make_with_a_reel_and_a_square_post_writes_both_each_laid_out_for_its_canvas(
        tmp_path: Path, dark: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mp4"
    code, text = cli(capsys, "--backend", "local", "make", str(dark),
                     "Export as a Reel and a square post. Captions: Hello there", "-o", str(out))
    assert code == 0, text
    reel, square = tmp_path / "out-reel.mp4", tmp_path / "out-square.mp4"
    assert not out.exists()
    r, s = probe(reel), probe(square)
    assert (r["w"], r["h"], s["w"], s["h"]) == (1080, 1920, 1080, 1080)
    assert r["vcodec"] == s["vcodec"] == "h264" and r["acodec"] == s["acodec"] == "aac"
    assert r["duration"] == pytest.approx(1.0, abs=0.1) == s["duration"]
    # the caption: above the Reels buttons (bottom edge ≤ y 1250 of 1920) on the Reel,
    # near the bottom (8 % margin) on the square post
    assert 0.5 < lowest_bright_row(reel) <= 1250 / 1920
    assert lowest_bright_row(square) > 0.85
    for path in (reel, square):
        assert f"{path} ({_size(path)})" in text
    assert "Wrote 2 files from the same edit" in text
    assert "- Reel (9:16, 1080×1920):" in text and "- Square post (1:1, 1080×1080):" in text


def _size(path: Path) -> str:
    from skill.media import human_size

    return human_size(path.stat().st_size)


def test_make_in_chinese_writes_a_vertical_and_a_square_version(
        tmp_path: Path, dark: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "视频.mp4"
    code, text = cli(capsys, "--backend", "local", "make", str(dark),
                     "导出竖屏和方形两个版本，加字幕：大家好", "-o", str(out))
    assert code == 0, text
    assert probe(tmp_path / "视频-reel.mp4")["h"] == 1920
    assert probe(tmp_path / "视频-square.mp4")["h"] == 1080
    assert "已用同一个剪辑写出 2 个文件" in text and "方形帖子 格式（1:1，1080×1080）" in text


# ---------------------------------------------------------------- igedit export --formats

def test_export_formats_writes_one_file_per_format_and_never_overwrites_silently(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = plain_clip(tmp_path / "land.mp4", seconds=1.0, size="320x180")
    assert cli(capsys, "--backend", "local", "upload", str(src))[0] == 0
    code, text = cli(capsys, "--backend", "local", "edit", "edit this for Instagram")
    assert code == 0 and "Instagram-ready" in text
    out = tmp_path / "post.mp4"
    code, text = cli(capsys, "--backend", "local", "export", "-o", str(out),
                     "--formats", "reel,square,4:5")
    assert code == 0, text
    files = {name: tmp_path / f"post-{name}.mp4" for name in ("reel", "square", "4x5")}
    sizes = {name: (probe(p)["w"], probe(p)["h"]) for name, p in files.items()}
    assert sizes == {"reel": (1080, 1920), "square": (1080, 1080), "4x5": (1080, 1350)}
    assert "Wrote 3 files" in text

    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in files.values()}
    code, text = cli(capsys, "--backend", "local", "export", "-o", str(out), "--formats", "square")
    assert code == 0 and not (tmp_path / "post-square~2.mp4").exists()   # one format: -o itself
    assert probe(out)["h"] == 1080
    code, text = cli(capsys, "--backend", "local", "export", "-o", str(out),
                     "--formats", "reel,square")
    assert code == 1
    assert f"{files['reel']} already exists, so nothing was exported" in text and "--force" in text
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in files.values()} == before
    code, text = cli(capsys, "--backend", "local", "export", "-o", str(out),
                     "--formats", "reel,square", "--force")
    assert code == 0 and files["reel"].stat().st_mtime_ns != before[files["reel"]][0]


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "“tiktok” is not a format I can export. Name one or more of: reel, reels"),
    ("zh", "“tiktok”不是可以导出的格式"),
])
def test_an_unknown_format_is_a_usage_error_naming_the_accepted_ones(
        capsys: pytest.CaptureFixture[str], lang: str, says: str) -> None:
    code, text = cli(capsys, "--backend", "local", "--lang", lang, "export", "--formats",
                     "reel,tiktok")
    assert code == 2 and says in text and "4:5" in text and "Traceback" not in text


@pytest.mark.parametrize(("flag", "lang", "says"), [
    (["--each"], "en", "cannot be combined with --for, --clip or --each"),
    (["--clip", "2"], "zh", "不能和 --for、--clip 或 --each 一起用"),
    (["--for", "square"], "en", "cannot be combined"),
])
def test_formats_with_a_clip_or_a_target_is_a_usage_error(
        capsys: pytest.CaptureFixture[str], flag: list[str], lang: str, says: str) -> None:
    code, text = cli(capsys, "--backend", "local", "--lang", lang, "export", "--formats",
                     "reel,square", *flag)
    assert code == 2 and says in text and "Traceback" not in text


def test_also_a_version_is_remembered_shown_and_exported(
        tmp_path: Path, dark: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "--backend", "local", "upload", str(dark))[0] == 0
    assert cli(capsys, "--backend", "local", "edit", "make it a Reel")[0] == 0
    code, text = cli(capsys, "--backend", "local", "edit", "also make a 4:5 version")
    assert code == 0 and "Export formats: Reel 9:16 (1080×1920), 4:5 feed post 4:5 (1080×1350)" in text
    code, text = cli(capsys, "--backend", "local", "status")
    assert "Export formats: Reel, 4:5 feed post" in text
    code, text = cli(capsys, "--backend", "local", "export", "-o", str(tmp_path / "x.mp4"))
    assert code == 0, text
    assert probe(tmp_path / "x-reel.mp4")["h"] == 1920 and probe(tmp_path / "x-4x5.mp4")["h"] == 1350
    code, text = cli(capsys, "--backend", "local", "preview", "-o", str(tmp_path / "p.mp4"))
    assert code == 0 and (tmp_path / "p.mp4").exists()          # a preview is one file
    assert not list(tmp_path.glob("p-*.mp4"))


def test_each_format_is_the_edit_reframed_and_the_export_order_ends_on_its_own() -> None:
    wire = {"t": [{"tt": 0, "m": {"name": "Video"}, "sg": [
        {"s": 0, "d": 3000, "m": {"media": "a", "kind": "video", "in": 0}}]},
        {"tt": 7, "m": {"role": "title"}, "sg": [
            {"s": 0, "d": 2000, "m": {"text": "Hi", "y": 1600}},
            {"s": 0, "d": 2000, "m": {"text": "top", "position": "top"}}]}],
        "m": {"ratio": "9:16", "w": 1080, "h": 1920, "fit": "crop", "loudnorm": True}}
    draft = SetFormats(("reel", "square")).apply(decode_draft(wire), PlanContext())
    assert draft_formats(draft) == asked(draft) == ("reel", "square")
    assert encode_draft(draft)["m"]["formats"] == ["reel", "square"]
    square = encode_draft(draft_for_format(draft, "square"))
    assert square["m"] == {"ratio": "1:1", "w": 1080, "h": 1080, "fit": "crop",
                           "target": "square", "loudnorm": True}
    assert [s["m"] for s in square["t"][1]["sg"]] == [{"text": "Hi", "y": 900},
                                                      {"text": "top", "position": "top"}]
    assert encode_draft(draft)["t"] == wire["t"]                  # the edit is untouched
    one = SetFormats(("reel",)).apply(draft, PlanContext())
    assert draft_formats(one) == () and "formats" not in encode_draft(one)["m"]
    planned = [("reel", Path("a-reel.mp4")), ("square", Path("a-square.mp4"))]
    assert [n for n, _ in _order(planned, draft)] == ["square", "reel"]


# ---------------------------------------------------------------- MCP

def test_mcp_export_takes_formats(tmp_path: Path, home: Path, dark: Path) -> None:
    from mcp.client.client import Client

    from skill.engine.local import LocalEngine
    from skill.front.mcp_server import McpSession, build_server
    from skill.runtime import Runtime
    from skill.store import Store

    session = McpSession(lambda: Runtime(lambda notice: LocalEngine(home / "engine", notice=notice),
                                         Store(), cwd=tmp_path))
    got: dict[str, Any] = {}

    async def run() -> None:
        async with Client(build_server(session)) as client:
            await client.call_tool("upload_media", {"sources": [str(dark)]})
            got["bad"] = await client.call_tool("export", {"path": str(tmp_path / "m.mp4"),
                                                           "formats": ["reel", "tiktok"]})
            got["ok"] = await client.call_tool("export", {"path": str(tmp_path / "m.mp4"),
                                                          "formats": ["reel", "square"]})

    asyncio.run(asyncio.wait_for(run(), timeout=240))
    bad = got["bad"]
    assert bad.is_error and "Pass `formats` as a list of" in bad.content[0].text
    ok = got["ok"]
    assert not ok.is_error
    assert ok.structured_content["files"] == [str(tmp_path / "m-reel.mp4"), str(tmp_path / "m-square.mp4")]
    assert probe(tmp_path / "m-square.mp4")["h"] == 1080


# ---------------------------------------------------------------- cloud and serve

@pytest.mark.parametrize("words", [
    "export as a Reel and a square post", "edit this for Instagram",
    "edit a 60-second phone-recorded clip for Instagram into a 1080p MP4", "发到 Instagram",
    "导出竖屏和方形两个版本", "Reel 和 帖子 各一个", "export it for Instagram",
])
def test_the_cloud_gets_the_words_unchanged(fake: FakeNemo, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], words: str) -> None:
    monkeypatch.setenv("NEMO_API_URL", fake.base_url)
    monkeypatch.chdir(tmp_path)
    code, text = cli(capsys, "--backend", "cloud", "say", words)
    assert code == 0, text
    assert fake.messages == [words]


@pytest.fixture
def serve_url(tmp_path: Path) -> Iterator[str]:
    from skill.serve import create_app
    from tests.servers import serve_in_thread

    with serve_in_thread(create_app(tmp_path / "server-home")) as url:
        yield url


def test_serve_offers_the_same_behaviour(serve_url: str, tmp_path: Path, dark: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NEMO_API_URL", serve_url)
    assert cli(capsys, "--backend", "cloud", "upload", str(dark))[0] == 0
    code, text = cli(capsys, "--backend", "cloud", "say", "发到 Instagram")
    assert code == 0 and "已适配 Instagram" in text, text
    code, text = cli(capsys, "--backend", "cloud", "--lang", "en", "say",
                     "editing and formatting videos for Instagram posts and Reels")
    assert code == 3 and "“make it a Reel” (9:16)" in text
    out = tmp_path / "served.mp4"
    code, text = cli(capsys, "--backend", "cloud", "--lang", "en", "export", "-o", str(out),
                     "--formats", "square,reel")
    assert code == 0, text
    assert probe(tmp_path / "served-square.mp4")["h"] == 1080
    assert probe(tmp_path / "served-reel.mp4")["h"] == 1920
    assert text.index("served-square.mp4 (") < text.rindex("served-reel.mp4 (")
    assert os.path.getsize(tmp_path / "served-reel.mp4") > 0
