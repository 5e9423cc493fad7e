"""The intent router on the labelled set, plus the rules it documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from skill.intents import Step, format_steps, route
from tests.conftest import ROOT

FIXTURE = ROOT / "fixtures" / "utterances.yaml"
FILES = ("a.mp4", "b.mov", "music.mp3", "logo.png", "subs.srt", "My Clip.mov", "视频.mp4",
         "intro.mp4")


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME (and working directory) holding the files the labelled set names."""
    home = tmp_path / "user"
    home.mkdir()
    for name in FILES:
        (home / name).write_bytes(b"\x00")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    return home


def _labelled() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return items


def test_labelled_set_accuracy(user_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = _labelled()
    assert len(items) >= 170
    wrong = []
    for item in items:
        utterance = item["u"].replace("{home}", str(user_home))
        expected = [s.replace("{home}", str(user_home)) for s in item["steps"]]
        got = format_steps(route(utterance)).splitlines()
        if got != expected:
            wrong.append(f"{item['u']!r}: expected {expected}, got {got}")
    accuracy = 100 * (len(items) - len(wrong)) / len(items)
    with capsys.disabled():
        print(f"\nintent router: {len(items) - len(wrong)}/{len(items)} = {accuracy:.1f}%")
    assert accuracy >= 98, "\n".join(wrong)


def test_labelled_set_covers_the_languages() -> None:
    texts = [i["u"] for i in _labelled()]
    simplified = [t for t in texts if any(c in t for c in "导这视频们积态传载给还")]
    traditional = [t for t in texts if any(c in t for c in "導這視頻們積態傳載給還匯餘")]
    mixed = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)
             and any(c.isascii() and c.isalpha() for c in t)]
    assert len(simplified) >= 30 and len(traditional) >= 15 and len(mixed) >= 10


def test_compound_upload_then_edit_expands_home(user_home: Path) -> None:
    assert route("upload ~/a.mp4 and crop it to square") == [
        Step("upload", str(user_home / "a.mp4")), Step("sse", "crop it to square")]


def test_upload_steps_come_first_in_file_order(user_home: Path) -> None:
    steps = route("add music then put ~/intro.mp4 before ~/a.mp4 and export")
    assert steps == [Step("upload", str(user_home / "intro.mp4")),
                     Step("upload", str(user_home / "a.mp4")),
                     Step("sse", "add music then put intro.mp4 before a.mp4"),
                     Step("export")]


def test_exists_is_injectable() -> None:
    seen: list[str] = []

    def exists(path: str) -> bool:
        seen.append(path)
        return path.endswith("/clips/take 2.mov")

    steps = route('upload "/clips/take 2.mov" and trim it', exists=exists)
    assert steps == [Step("upload", "/clips/take 2.mov"), Step("sse", "trim it")]
    assert "/clips/take 2.mov" in seen


def test_a_failing_exists_predicate_is_not_fatal() -> None:
    def boom(path: str) -> bool:
        raise OSError("disk on fire")

    assert route("put /x/song.mp3 under it", exists=boom) == [
        Step("sse", "put /x/song.mp3 under it")]


def test_urls_are_uploads_even_without_the_word() -> None:
    assert route("https://example.com/a/b/clip.mp4?dl=1 make it vertical",
                 exists=lambda p: False) == [
        Step("upload", "https://example.com/a/b/clip.mp4?dl=1"),
        Step("sse", "clip.mp4 make it vertical")]


def test_upload_without_a_file_asks_for_one() -> None:
    assert route("I want to upload a clip", exists=lambda p: False) == [Step("upload")]


def test_negation_that_leaves_nothing_returns_no_step() -> None:
    assert route("don't export yet") == []
    assert route("先别导出") == []
    assert route("") == [] and route(" \n\t") == []


def test_the_edit_text_is_cut_from_the_original_characters() -> None:
    # matching sees Simplified, half-width text; the editor gets what the user typed
    assert route("加個濾鏡，然後匯出") == [Step("sse", "加個濾鏡"), Step("export")]
    assert route("ｃｒｏｐ ｉｔ，ｔｈｅｎ ｅｘｐｏｒｔ") == [Step("sse", "ｃｒｏｐ ｉｔ"), Step("export")]


def test_format_steps_one_line_each() -> None:
    steps = [Step("upload", "/abs/a.mp4"), Step("sse", "crop it\nto square"), Step("export"),
             Step("credits"), Step("state"), Step("upload")]
    assert format_steps(steps) == ("upload /abs/a.mp4\nsse crop it to square\nexport\n"
                                   "credits\nstate\nupload")
    assert format_steps([]) == ""


@pytest.mark.parametrize("text", [
    "\x00", "\ud800", "''''", '"""', "「」", "~", "~/", "/", "\\", "http://", "https://)",
    "upload " * 200, "导出" * 300, "a.mp4" * 50, "'" + "x" * 5000, "don't " * 100 + "export",
    "title: " * 50, "\u200b\u3000\ufeff", "𝔢𝔵𝔭𝔬𝔯𝔱", "ﬁle.mp4", "C:\\Users\\me\\a.mp4",
])
def test_never_raises(text: str) -> None:
    steps = route(text, exists=lambda p: False)
    assert all(isinstance(s, Step) for s in steps)
    format_steps(steps)
