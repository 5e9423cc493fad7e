"""The seed skill's three "Try saying" examples, end to end on the local engine, in
English and Chinese (issue 16): ``igedit make`` renders, and the files are probed with
PyAV (dimensions, codec, duration, audio, captions burned where there is speech)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.front.cli import main
from tests.media import plain_clip, rotated_clip, solid_clip
from tests.speech_support import copy_clip, seed, truth

FIRST = "edit a 60-second phone-recorded clip for Instagram into a 1080p MP4"
HEADLINE = "crop to square format, add trending music, and overlay captions"
VAGUE = "editing and formatting videos for Instagram posts and Reels on desktop for Instagram creators"


def probe(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0] if c.streams.audio else None
        return {"w": v.codec_context.width, "h": v.codec_context.height,
                "vcodec": v.codec_context.name, "pix_fmt": v.codec_context.pix_fmt,
                "acodec": a.codec_context.name if a else None,
                "rate": a.codec_context.sample_rate if a else None,
                "duration": float(c.duration or 0) / 1_000_000}


def bright_rows(path: Path, t: float, top: float = 0.0, bottom: float = 1.0) -> int:
    """Near-white pixels at ``t`` s between the fractions ``top`` and ``bottom`` of the height."""
    import av

    with av.open(str(path)) as f:
        f.seek(int(t * 1_000_000))
        for frame in f.decode(video=0):
            if frame.time is not None and frame.time >= t:
                rgb = frame.to_ndarray(format="rgb24")
                h = rgb.shape[0]
                band = rgb[int(top * h):int(bottom * h)]
                return int(((band > 200).all(axis=2)).sum())
    return 0


def make(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--backend", "local", "make", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------- 1. "edit a 60-second…"

def test_first_example_makes_a_reel_from_a_phone_clip(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    src = rotated_clip(tmp_path / "phone.mp4", seconds=1.0)   # stored landscape, shown portrait
    out = tmp_path / "out.mp4"
    code, text = make(capsys, str(src), FIRST, "-o", str(out))
    assert code == 0, text
    facts = probe(out)
    assert (facts["w"], facts["h"], facts["vcodec"], facts["pix_fmt"]) == (1080, 1920, "h264", "yuv420p")
    assert (facts["acodec"], facts["rate"]) == ("aac", 48000)
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)
    assert "Not done" not in text
    assert "Instagram-ready: an Instagram Reel at 9:16 (1080×1920), since the clip is portrait" in text
    assert "You said 60 s, but the clip is 1 s: I kept all 1 s" in text
    assert "Instagram wants at least 3 s" in text
    assert "ready to post as an Instagram Reel" in text


def test_first_example_in_chinese_keeps_a_square_clip_square(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = plain_clip(tmp_path / "square.mp4", seconds=1.0, size="240x240")
    out = tmp_path / "方形.mp4"
    code, text = make(capsys, str(src), "帮我把这个60秒的手机视频剪成适合Instagram的1080p MP4", "-o", str(out))
    assert code == 0, text
    facts = probe(out)
    assert (facts["w"], facts["h"], facts["vcodec"], facts["acodec"]) == (1080, 1080, "h264", "aac")
    assert "未完成" not in text
    assert "已适配 Instagram：做成方形帖子，1:1（1080×1080），因为素材是方形" in text
    assert "你说的是 60 秒，但素材只有 1 秒" in text


# ---------------------------------------------------------------- 2. the headline edit

def test_headline_example_on_a_clip_with_speech_crops_adds_music_and_burns_captions(
        tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(home, "talk_en")   # the analysis a background listen would have cached
    src = copy_clip("talk_en", tmp_path)
    out = tmp_path / "headline.mp4"
    code, text = make(capsys, str(src), HEADLINE, "-o", str(out))
    assert code == 0, text
    facts = probe(out)
    assert (facts["w"], facts["h"], facts["vcodec"], facts["acodec"]) == (1080, 1080, "h264", "aac")
    assert facts["duration"] == pytest.approx(truth("talk_en")["duration_ms"] / 1000, abs=0.15)
    assert "Reframed to 1:1 (1080×1080)" in text
    assert "Trending music is not available locally, so I used Upbeat instead" in text
    assert "captions from the speech" in text and "Not done" not in text
    # the first words are said from 1.5 s: a caption in the lower part then, none before
    with_caption = bright_rows(out, 2.0, top=0.6)
    assert with_caption > 300
    assert bright_rows(out, 0.3, top=0.6) < with_caption / 10


@pytest.mark.parametrize(("instruction", "says"), [
    (HEADLINE, "I heard no speech in the video, so there is nothing to caption"),
    ("裁成方形，加热门音乐，加字幕", "视频里没有听到说话，所以没有可以加字幕的内容"),
])
def test_headline_example_without_speech_says_so_and_renders_the_rest_only_when_asked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], instruction: str, says: str) -> None:
    src = plain_clip(tmp_path / "tone.mp4", seconds=1.0)   # a test pattern and a tone: no speech
    out = tmp_path / "out.mp4"
    code, text = make(capsys, str(src), instruction, "-o", str(out))
    assert code == 3 and says in text
    assert not out.exists()                                 # not "ready to post"
    code, text = make(capsys, str(src), instruction, "-o", str(out), "--partial")
    assert code == 3 and says in text
    facts = probe(out)
    assert (facts["w"], facts["h"], facts["acodec"]) == (1080, 1080, "aac")
    assert facts["duration"] == pytest.approx(1.0, abs=0.1)


# ---------------------------------------------------------------- 3. the general request

@pytest.mark.parametrize(("instruction", "says", "then"), [
    (VAGUE, "“edit this for Instagram”: I choose the shape from the clip",
     "say which of the choices above you want"),
    ("为 Instagram 创作者在电脑上剪辑和排版帖子和 Reels 视频", "“剪成适合 Instagram 的视频”：按素材的形状选画幅",
     "请从上面的选项里说一个"),
])
def test_third_example_answers_with_the_choices_and_renders_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], instruction: str, says: str,
        then: str) -> None:
    src = solid_clip(tmp_path / "dark.mp4", seconds=1.0)
    out = tmp_path / "out.mp4"
    code, text = make(capsys, str(src), instruction, "-o", str(out))
    assert code == 3 and says in text and then in text
    assert "Not done" not in text and "未完成" not in text
    assert not out.exists()
    code = main(["--backend", "local", "--json", "make", str(src), instruction, "-o", str(out)])
    lines = json_lines(capsys.readouterr().out)
    assert code == 3
    [outcome] = [line for line in lines if line["kind"] == "not_done"]
    assert outcome["data"]["done"] == []
    assert [(n["text"], n["reason"]) for n in outcome["data"]["not_done"]] == [(instruction, "choose")]
    assert not any(line["kind"] == "file" for line in lines)
