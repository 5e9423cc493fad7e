"""Batch style (issue 16 items 2 and 4): several clips in one session edited separately,
one render per clip, join mode kept; checked on the rendered files (size, length, and
which clip's colour is in which file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from skill import clipset
from skill.cliprefs import ALL, Part, export_choice, parts
from skill.draft import decode_draft, encode_draft
from skill.front.cli import main
from tests.media import frames_rgb, solid_clip
from tests.test_local_helpers import probe_mp4

NAMES = ["red.mp4", "blue.mp4"]


pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 2 s red portrait clip and a 3 s blue landscape clip, both with sound."""
    d = tmp_path_factory.mktemp("batch")
    return (solid_clip(d / "red.mp4", color="red", seconds=2.0, size="320x568", audio=True),
            solid_clip(d / "blue.mp4", color="blue", seconds=3.0, size="640x360", audio=True))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Exit code and what the user reads (stdout, then stderr where errors go)."""
    code = main(["--backend", "local", *args])
    got = capsys.readouterr()
    return code, got.out + got.err


def status_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out = run(capsys, "--json", "status")
    assert code == 0
    [summary] = [o for o in map(json.loads, out.splitlines()) if o.get("kind") == "summary"]
    timeline: dict[str, Any] = summary["data"]["timeline"]
    return timeline


def colour(path: Path, at: float) -> str:
    """The dominant colour of the frame nearest ``at`` seconds: red, blue or other."""
    [frame] = frames_rgb(path, [at])
    r, g, b = (float(np.mean(frame[..., i])) for i in range(3))
    if r > 150 and g < 80 and b < 80:
        return "red"
    if b > 150 and r < 80 and g < 80:
        return "blue"
    return f"other({r:.0f},{g:.0f},{b:.0f})"


def facts(path: Path) -> tuple[int, int, float]:
    p = probe_mp4(path)
    return int(p["width"]), int(p["height"]), round(float(p["duration"]), 1)  # type: ignore[call-overload]


# ------------------------------------------------------------------ words → clips

@pytest.mark.parametrize(("text", "want"), [
    ("make the first clip square and the second one a Reel",
     [Part((0,), "make square"), Part((1,), "a Reel")]),
    ("square for the first clip, Reel for the second", [Part((0,), "square"), Part((1,), "Reel")]),
    ("make clip 2 warm", [Part((1,), "make warm")]),
    ("make the red one brighter", [Part((0,), "make brighter")]),
    ("trim blue.mp4 to 2 seconds", [Part((1,), "trim to 2 seconds")]),
    ("add a title Hi to the last clip", [Part((1,), "add a title Hi")]),
    ("add music to each clip", [Part(ALL, "add music")]),
    ("cut the first 2 seconds", [Part(None, "cut the first 2 seconds")]),
    ("第一个视频做成方形，第二个视频做成竖屏", [Part((0,), "做成方形"), Part((1,), "做成竖屏")]),
    ("把第二个视频裁成方形", [Part((1,), "裁成方形")]),
    ("第一个片段加上音乐", [Part((0,), "加上音乐")]),
    ("第二個視頻加上標題", [Part((1,), "加上標題")]),
    ("分别加上音乐", [Part(ALL, "加上音乐")]),
    ("删除第二个场景", [Part(None, "删除第二个场景")]),       # a scene, not a clip
])
def test_words_are_cut_into_one_part_per_clip(text: str, want: list[Part]) -> None:
    assert parts(text, NAMES) == want


@pytest.mark.parametrize(("text", "want"), [
    ("export each clip separately", "each"), ("分别导出", "each"), ("export both", "each"),
    ("export the second clip", 1), ("导出第二个视频", 1), ("export the red one", 0),
    ("export clip 2", 1), ("export it", None),
])
def test_which_clips_an_export_is_for(text: str, want: object) -> None:
    assert export_choice(text, NAMES) == want
    assert export_choice(text, ["only.mp4"]) is None        # one clip: nothing to choose


def test_split_gives_each_clip_its_part_of_the_joined_edit() -> None:
    seg = {"kind": "video", "in": 0, "speed": 1.0, "volume": 1.0}
    joined = {"t": [{"tt": 0, "m": {"name": "Video"}, "sg": [
        {"s": 0, "d": 2000, "m": {"media": "r", "name": "red.mp4", **seg}},
        {"s": 2000, "d": 3000, "m": {"media": "b", "name": "blue.mp4", **seg}}]},
        {"tt": 1, "m": {"role": "bgm", "name": "Lo-fi"}, "sg": [
            {"s": 0, "d": 5000, "m": {"mood": "lofi", "volume": 0.3}}]},
        {"tt": 7, "m": {"role": "caption"}, "sg": [
            {"s": 1500, "d": 1000, "m": {"text": "across"}},
            {"s": 3000, "d": 1000, "m": {"text": "blue only"}}]}],
        "m": {"ratio": "1:1", "w": 1080, "h": 1080, "look": "warm", "cover_ms": 2500}}
    red_clip, blue_clip = clipset.split(decode_draft(joined))
    assert (red_clip.name, blue_clip.name) == ("red.mp4", "blue.mp4")
    red, blue = encode_draft(red_clip.draft), encode_draft(blue_clip.draft)
    assert red["t"][0]["sg"] == [{"s": 0, "d": 2000, "m": joined["t"][0]["sg"][0]["m"]}]
    assert blue["t"][0]["sg"][0]["s"] == 0 and blue["t"][0]["sg"][0]["d"] == 3000
    assert red["t"][1]["sg"] == [{"s": 0, "d": 2000, "m": {"mood": "lofi", "volume": 0.3}}]
    assert [(s["s"], s["d"], s["m"]["text"]) for s in red["t"][2]["sg"]] == [
        (1500, 500, "across")]
    assert [(s["s"], s["d"], s["m"]["text"]) for s in blue["t"][2]["sg"]] == [
        (0, 500, "across"), (1000, 1000, "blue only")]
    assert red["m"] == {"ratio": "1:1", "w": 1080, "h": 1080, "look": "warm"}
    assert blue["m"]["cover_ms"] == 500


def test_the_clip_set_goes_to_each_and_back_to_join_keeping_the_clips_own_edits() -> None:
    seg = {"kind": "video", "in": 0, "speed": 1.0, "volume": 1.0}
    joined = {"t": [{"tt": 0, "m": {"name": "Video"}, "sg": [
        {"s": 0, "d": 2000, "m": {"media": "r", "name": "red.mp4", **seg}},
        {"s": 2000, "d": 3000, "m": {"media": "b", "name": "blue.mp4", **seg}}]}],
        "m": {"ratio": "9:16", "w": 1080, "h": 1920}}
    draft = decode_draft(joined)
    assert (clipset.mode(draft), clipset.several(draft), clipset.stored(draft)) == ("join", True, [])
    each = clipset.set_mode(draft, clipset.EACH)
    wire = encode_draft(each)
    assert wire["t"] == joined["t"] and wire["m"]["batch"]["mode"] == "each"
    assert [(c["media"], c["name"], c["draft"]["t"][0]["sg"][0]["d"])
            for c in wire["m"]["batch"]["clips"]] == [("r", "red.mp4", 2000), ("b", "blue.mp4", 3000)]
    assert "focus" not in wire["m"]["batch"] and encode_draft(draft) == joined   # input untouched
    # the second clip edited on its own, and the edit remembered as the focus
    red, blue = clipset.stored(each)
    square = blue.draft.copy()
    square.ratio = "1:1"
    each = clipset.with_clips(each, [red, clipset.Clip(1, blue.media, blue.name, square)],
                              new_focus=[1])
    assert clipset.focus(each) == [1] and clipset.mode(each) == "each"
    # back to join: the joined timeline renders, the clips' own edits wait for "each" again
    back = clipset.set_mode(each, clipset.JOIN)
    assert clipset.mode(back) == "join" and clipset.focus(back) == [1]
    assert encode_draft(clipset.joined(back)) == joined
    again = clipset.set_mode(back, clipset.EACH)
    assert [c.draft.ratio for c in clipset.stored(again)] == ["9:16", "1:1"]
    assert clipset.focus(again) is None
    assert [name for _, name in clipset.visual_media(again, ["b", "r"])] == ["blue.mp4", "red.mp4"]


# ------------------------------------------------------------------ rendered, English

def test_each_clip_its_own_edit_and_file_in_english(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "upload", *map(str, clips))
    assert code == 0
    assert "joined into one timeline" in out and "edit them separately" in out

    code, out = run(capsys, "say", "make the first clip square and the second one a Reel")
    assert code == 0, out
    assert "Editing the 2 clips separately now" in out
    assert "Clip 1 (red.mp4): Done. Reframed to 1:1" in out
    assert "Clip 2 (blue.mp4): Done. Reframed to 9:16" in out
    assert "Not done" not in out

    tl = status_json(capsys)
    assert tl["batch"]["mode"] == "each"
    assert [(c["name"], c["timeline"]["canvas"]["ratio"], c["timeline"]["duration_ms"])
            for c in tl["batch"]["clips"]] == [("red.mp4", "1:1", 2000), ("blue.mp4", "9:16", 3000)]
    code, out = run(capsys, "status")
    assert "Clips edited separately (2): [1] red.mp4 (1:1)" in out and "[2] blue.mp4 (9:16)" in out

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out = run(capsys, "export", "--each", "-o", str(out_dir / "final.mp4"))
    assert code == 0, out
    red, blue = out_dir / "final-red.mp4", out_dir / "final-blue.mp4"
    assert sorted(p.name for p in out_dir.glob("*.mp4")) == ["final-blue.mp4", "final-red.mp4"]
    assert facts(red) == (1080, 1080, 2.0) and colour(red, 1.0) == "red"
    assert facts(blue) == (1080, 1920, 3.0) and colour(blue, 1.5) == "blue"
    assert "Saved 2 files, one per clip" in out

    # never overwritten silently: the same export again is refused before rendering
    code, out = run(capsys, "export", "--each", "-o", str(out_dir / "final.mp4"))
    assert code == 1 and "already exists" in out

    code, out = run(capsys, "say", "export only the second clip")
    assert code == 0, out
    [single] = [p for p in tmp_path.glob("*.mp4")]
    assert single.name.endswith("-blue.mp4") and single.name.startswith("instagram-9x16-")
    assert facts(single) == (1080, 1920, 3.0) and colour(single, 1.0) == "blue"

    code, out = run(capsys, "export", "--clip", "3")
    assert code == 1
    assert "There is no clip “3” in this session. Its clips: 1. red.mp4, 2. blue.mp4." in out


def test_iterative_per_clip_and_undo(capsys: pytest.CaptureFixture[str],
                                     clips: tuple[Path, Path], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(capsys, "upload", *map(str, clips))
    code, out = run(capsys, "say", "trim the second clip to 1.5 seconds")
    assert code == 0 and "Clip 2 (blue.mp4): Done." in out, out
    code, out = run(capsys, "status")
    assert "An edit that names no clip goes to clip 2." in out
    # a preview follows the clip being worked on: only clip 2, already trimmed
    code, out = run(capsys, "preview", "-o", str(tmp_path / "look.mp4"))
    assert code == 0, out
    [prev] = list(tmp_path.glob("*.mp4"))
    assert prev.name == "look.mp4"
    w, h, dur = facts(prev)
    assert dur == 1.5 and h < 1920 and colour(prev, 0.7) == "blue"
    # refine: an edit that names no clip goes to the one worked on
    code, out = run(capsys, "say", "add the title 'Blue'")
    assert "Clip 2 (blue.mp4)" in out and "Clip 1" not in out
    tl = status_json(capsys)
    first, second = tl["batch"]["clips"]
    assert first["timeline"]["texts"] == [] and [t["text"] for t in second["timeline"]["texts"]] == ["Blue"]
    code, out = run(capsys, "say", "undo")
    tl = status_json(capsys)
    assert tl["batch"]["clips"][1]["timeline"]["texts"] == []
    assert tl["batch"]["clips"][1]["timeline"]["duration_ms"] == 1500   # the trim stays
    # "each clip" addresses every clip again
    code, out = run(capsys, "say", "mute each clip")
    assert "Clip 1 (red.mp4)" in out and "Clip 2 (blue.mp4)" in out


def test_join_mode_is_the_default_and_comes_back(capsys: pytest.CaptureFixture[str],
                                                 clips: tuple[Path, Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(capsys, "upload", *map(str, clips))
    code, out = run(capsys, "export", "-o", "joined.mp4")
    assert code == 0, out
    joined = tmp_path / "joined.mp4"
    assert facts(joined) == (1080, 1920, 5.0)          # the first clip's shape, 2 s + 3 s
    assert colour(joined, 1.0) == "red" and colour(joined, 3.5) == "blue"

    # one clip of the joined timeline: cut from it, with the joined canvas
    code, out = run(capsys, "say", "export the first clip")
    assert code == 0, out
    [first] = [p for p in tmp_path.glob("*.mp4") if p != joined]
    assert first.name.endswith("-red.mp4") and facts(first) == (1080, 1920, 2.0)
    assert colour(first, 1.0) == "red" and colour(first, 1.9) == "red"
    first.unlink()

    run(capsys, "say", "make the first clip square")
    code, out = run(capsys, "say", "join them")
    assert "Joined: the 2 clips play one after another" in out
    assert status_json(capsys)["batch"]["mode"] == "join"
    code, out = run(capsys, "export", "-o", "again.mp4")
    assert code == 0, out
    assert facts(tmp_path / "again.mp4") == (1080, 1920, 5.0)
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["again.mp4", "joined.mp4"]


# ------------------------------------------------------------------ rendered, Chinese

def test_each_clip_its_own_edit_and_file_in_chinese(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run(capsys, "--lang", "zh", "upload", *map(str, clips))
    assert "已拼接成一条时间线" in out and "分别编辑" in out
    code, out = run(capsys, "say", "第一个视频做成竖屏，第二个视频做成方形")
    assert code == 0, out
    assert "现在分别编辑这 2 个片段" in out
    assert "第 1 个片段（red.mp4）：完成" in out and "第 2 个片段（blue.mp4）：完成" in out
    code, out = run(capsys, "say", "分别导出")
    assert code == 0, out
    red = next(tmp_path.glob("*-red.mp4"))
    blue = next(tmp_path.glob("*-blue.mp4"))
    assert facts(red) == (1080, 1920, 2.0) and colour(red, 1.0) == "red"
    assert facts(blue) == (1080, 1080, 3.0) and colour(blue, 1.0) == "blue"
    assert "已保存 2 个文件，每个片段一个" in out

    for p in (red, blue):
        p.unlink()
    code, out = run(capsys, "say", "导出第一个视频")
    assert code == 0, out
    [only] = list(tmp_path.glob("*.mp4"))
    assert only.name.endswith("-red.mp4") and facts(only) == (1080, 1920, 2.0)

    code, out = run(capsys, "say", "拼在一起")
    assert "已拼在一起" in out
    code, out = run(capsys, "say", "导出")
    joined = [p for p in tmp_path.glob("*.mp4") if p != only]
    assert len(joined) == 1 and facts(joined[0])[2] == 5.0


def test_typed_ops_address_a_clip(capsys: pytest.CaptureFixture[str],
                                  clips: tuple[Path, Path], tmp_path: Path) -> None:
    run(capsys, "upload", *map(str, clips))
    ops = tmp_path / "ops.json"
    ops.write_text(json.dumps([{"op": "set_aspect", "args": {"ratio": "4:5"}, "clip": 2},
                               {"op": "set_look", "args": {"look": "bw"}, "clip": 1}]))
    code, out = run(capsys, "edit", "--ops", str(ops))
    assert code == 0, out
    assert "Clip 2 (blue.mp4): Reframed to 4:5" in out
    tl = status_json(capsys)
    first, second = tl["batch"]["clips"]
    assert (first["timeline"]["canvas"]["ratio"], first["timeline"]["look"]) == ("9:16", "bw")
    assert (second["timeline"]["canvas"]["ratio"], second["timeline"]["look"]) == ("4:5", None)
    ops.write_text(json.dumps([{"op": "set_look", "args": {"look": "warm"}, "clip": 3}]))
    code, out = run(capsys, "edit", "--ops", str(ops))
    assert code != 0 and "there is no clip 3 (this session has 2)" in out


# ------------------------------------------------------------------ MCP export tool

def test_mcp_export_takes_clip_and_each(tmp_path: Path) -> None:
    from tests.fake_backend import ScriptedBackend
    from tests.test_mcp import _session, _with_client

    seg = {"kind": "video", "in": 0, "speed": 1.0, "volume": 1.0}
    draft = {"t": [{"tt": 0, "m": {"name": "Video"}, "sg": [
        {"s": 0, "d": 2000, "m": {"media": "r", "name": "red.mp4", **seg}},
        {"s": 2000, "d": 3000, "m": {"media": "b", "name": "blue.mp4", **seg}}]}],
        "m": {"ratio": "9:16", "w": 1080, "h": 1920}}
    got: dict[str, Any] = {}

    async def body(client: Any) -> None:
        got["one"] = await client.call_tool("export", {"path": str(tmp_path / "one.mp4"),
                                                       "clip": "blue"})
        got["each"] = await client.call_tool("export", {"path": str(tmp_path / "all.mp4"),
                                                        "each": True})
        got["bad"] = await client.call_tool("export", {"path": str(tmp_path / "x.mp4"),
                                                       "clip": "7"})

    _with_client(_session(ScriptedBackend, tmp_path, draft=draft), body)
    assert got["one"].structured_content == {"file": str(tmp_path / "one.mp4")}
    assert got["each"].structured_content["files"] == [str(tmp_path / "all-red.mp4"),
                                                      str(tmp_path / "all-blue.mp4")]
    assert got["bad"].is_error
    text = " ".join(c.text for c in got["bad"].content)
    assert "There is no clip “7”" in text and "each=true" in text
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["all-blue.mp4", "all-red.mp4",
                                                              "one.mp4"]


def test_all_the_clips_on_joined_clips_is_the_whole_timeline(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path]) -> None:
    run(capsys, "upload", *map(str, clips))
    code, out = run(capsys, "say", "mute all the clips")
    assert code == 0 and "Clip 1" not in out, out
    tl = status_json(capsys)
    assert tl["batch"] is None and [c["volume_pct"] for c in tl["clips"]] == [0, 0]
    code, out = run(capsys, "say", "每个视频都加上音乐")          # "each video": separately
    assert "第 1 个片段（red.mp4）" in out and "第 2 个片段（blue.mp4）" in out
    tl = status_json(capsys)
    assert tl["batch"]["mode"] == "each"
    assert [c["timeline"]["music"]["mood"] for c in tl["batch"]["clips"]] == ["lofi", "lofi"]
    assert [c["timeline"]["clips"][0]["volume_pct"] for c in tl["batch"]["clips"]] == [0, 0]


def test_a_clip_uploaded_while_separate_gets_its_own_draft(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path], tmp_path: Path) -> None:
    green = solid_clip(tmp_path / "green.mp4", color="green", seconds=1.0, size="320x568")
    run(capsys, "upload", *map(str, clips))
    run(capsys, "say", "make the first clip square")
    code, out = run(capsys, "upload", str(green))
    assert "The 3 clips are edited separately" in out
    tl = status_json(capsys)
    assert [(c["name"], c["timeline"]["canvas"]["ratio"], c["timeline"]["duration_ms"])
            for c in tl["batch"]["clips"]] == [("red.mp4", "1:1", 2000), ("blue.mp4", "9:16", 3000),
                                               ("green.mp4", "9:16", 1000)]
    assert tl["duration_ms"] == 6000                  # the joined timeline has it too
    code, out = run(capsys, "say", "make clip 4 warm")
    assert code == 3
    assert ("There is no clip 4: this session has 3 clips (1. red.mp4, 2. blue.mp4, "
            "3. green.mp4).") in out


def test_make_one_shot_with_one_edit_per_clip(capsys: pytest.CaptureFixture[str],
                                              clips: tuple[Path, Path], tmp_path: Path) -> None:
    code, out = run(capsys, "make", *map(str, clips),
                    "make the first clip square and the second one a Reel",
                    "-o", str(tmp_path / "post.mp4"))
    assert code == 0, out
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["post-blue.mp4", "post-red.mp4"]
    assert facts(tmp_path / "post-red.mp4") == (1080, 1080, 2.0)
    assert facts(tmp_path / "post-blue.mp4") == (1080, 1920, 3.0)
    assert colour(tmp_path / "post-blue.mp4", 2.5) == "blue"


def _reds_and_blues(png: Path) -> tuple[int, int]:
    import av

    with av.open(str(png)) as container:
        px = next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    return (int(((r > 180) & (g < 60) & (b < 60)).sum()),
            int(((b > 180) & (r < 60) & (g < 60)).sum()))


def test_the_contact_sheet_shows_the_clip_worked_on(capsys: pytest.CaptureFixture[str],
                                                    clips: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    run(capsys, "upload", *map(str, clips))
    run(capsys, "say", "make the first clip square")
    code, out = run(capsys, "preview", "--sheet", "-o", str(tmp_path / "one.png"), "--frames", "3")
    assert code == 0, out
    red, blue = _reds_and_blues(tmp_path / "one.png")
    assert red > 10_000 and blue == 0
    run(capsys, "say", "第二个视频做成方形")
    code, out = run(capsys, "--json", "preview", "--sheet", "-o", str(tmp_path / "two.png"),
                    "--frames", "3")
    assert code == 0, out
    [sheet] = [o for o in map(json.loads, out.splitlines()) if o.get("kind") == "file"]
    assert max(sheet["data"]["times_ms"]) < 3000          # clip 2 alone is 3 s long
    red, blue = _reds_and_blues(tmp_path / "two.png")
    assert red == 0 and blue > 10_000


@pytest.mark.parametrize(("words", "reply"), [
    ("export the second clip as a square post", "Clip 2 (blue.mp4): Done. Reframed to 1:1"),
    ("把第二个视频导出成方形帖子", "第 2 个片段（blue.mp4）：完成。"),
])
def test_an_export_for_a_target_reframes_the_clip_it_names(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, words: str, reply: str) -> None:
    monkeypatch.chdir(tmp_path)
    run(capsys, "upload", *map(str, clips))
    code, out = run(capsys, "say", words)
    assert code == 0, out
    assert reply in out and "Clip 1" not in out and "第 1 个片段" not in out
    [only] = list(tmp_path.glob("*.mp4"))
    assert only.name.endswith("-blue.mp4") and facts(only) == (1080, 1080, 3.0)
    assert colour(only, 1.0) == "blue"


def test_clips_named_by_an_edit_before_export_do_not_choose_the_export(
        capsys: pytest.CaptureFixture[str], clips: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run(capsys, "upload", *map(str, clips))
    code, out = run(capsys, "say", "make the first clip square and the second one a Reel, "
                                   "then export")
    assert code == 0, out
    got = {p.name.rsplit("-", 1)[1]: p for p in tmp_path.glob("*.mp4")}   # both clips
    assert sorted(got) == ["blue.mp4", "red.mp4"]
    assert facts(got["red.mp4"])[:2] == (1080, 1080)
    assert facts(got["blue.mp4"])[:2] == (1080, 1920)
