"""The front doors tell done from not done (issue 12 items 4 and 9): exit code 3,
``--json`` kind ``not_done``, ``make`` renders nothing unless ``--partial`` and never
touches the user's current session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.front.cli import main
from tests.media import plain_clip

pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plain_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2.0, size="320x568")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--backend", "local", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_an_edit_with_a_part_not_done_exits_3_and_says_which_words(
        capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    assert run(capsys, "upload", str(clip))[0] == 0
    code, out, _ = run(capsys, "edit", "make it square and add a glitch effect, actually")
    assert code == 3
    assert "Reframed to 1:1" in out
    assert "Not done: “add a glitch effect” — not supported by the local engine." in out
    assert "actually" not in out and "cloud" not in out
    assert out.count("Not done:") == 1                 # said once, not repeated


def test_json_carries_kind_not_done_with_the_spans(
        capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    run(capsys, "upload", str(clip))
    code, out, _ = run(capsys, "--json", "edit", "加一个AI数字人")
    assert code == 3
    [nd] = [obj for obj in lines(out) if obj["kind"] == "not_done"]
    assert nd["exit_code"] == 3
    assert nd["data"]["done"] == []
    assert nd["data"]["not_done"] == [{
        "text": "加一个AI数字人", "reason": "generative", "cloud": False,
        "why": "本地引擎不支持"}]
    code, out, _ = run(capsys, "--json", "status")
    assert code == 0 and "Video: clip.mp4" in out        # the sound and footage are all there


def test_an_edit_fully_done_exits_0(capsys: pytest.CaptureFixture[str], clip: Path) -> None:
    run(capsys, "upload", str(clip))
    code, out, _ = run(capsys, "--json", "edit", "hmm, make it square instead please")
    assert code == 0
    assert not [obj for obj in lines(out) if obj["kind"] == "not_done"]


def test_make_renders_nothing_when_a_part_was_not_done(
        capsys: pytest.CaptureFixture[str], clip: Path, tmp_path: Path) -> None:
    out_mp4 = tmp_path / "out.mp4"
    code, out, _ = run(capsys, "make", str(clip), "asdfgh qwerty", "-o", str(out_mp4))
    assert code == 3
    assert "Not done: “asdfgh qwerty” — unclear" in out
    assert "Nothing was rendered" in out and "--partial" in out
    assert "ready to post" not in out.lower()
    assert not out_mp4.exists() and not list(tmp_path.glob("*.mp4"))


def test_make_partial_renders_what_was_done_and_still_exits_3(
        capsys: pytest.CaptureFixture[str], clip: Path, tmp_path: Path) -> None:
    import av

    out_mp4 = tmp_path / "out.mp4"
    code, out, _ = run(capsys, "make", str(clip), "square, and replace the sky with a galaxy",
                       "-o", str(out_mp4), "--partial", "--preview")
    assert code == 3 and out_mp4.is_file()
    with av.open(str(out_mp4)) as c:
        v = c.streams.video[0]
        assert v.width == v.height


def test_make_never_touches_the_current_session(
        capsys: pytest.CaptureFixture[str], clip: Path, tmp_path: Path) -> None:
    run(capsys, "upload", str(clip))
    assert run(capsys, "edit", "add the title 'Mine'")[0] == 0
    _, before, _ = run(capsys, "--json", "status")
    code, _, _ = run(capsys, "make", str(clip), "asdfgh", "-o", str(tmp_path / "x.mp4"))
    assert code == 3
    code, _, _ = run(capsys, "make", str(clip), "make it square", "-o", str(tmp_path / "y.mp4"),
                     "--preview")
    assert code == 0 and (tmp_path / "y.mp4").is_file()
    _, after, _ = run(capsys, "--json", "status")
    assert after == before and "Mine" in after
    # undo still works on the user's own timeline
    code, out, _ = run(capsys, "edit", "undo")
    assert code == 0 and "Mine" not in run(capsys, "status")[1]
