"""SRT / VTT parsing: timings, markup, encodings, junk, and the caption track it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.engine.ops.captions import Cue, decode_text, parse_captions, read_captions
from skill.errors import InputError
from skill.templates import render

SRT = """1
00:00:01,000 --> 00:00:03,500
<i>Hello</i> there

2
00:00:04,000 --> 00:00:06,000 X1:100 X2:200
{\\an8}Two lines,
second line

"""

VTT = """WEBVTT
Kind: captions
Language: en

NOTE this is a comment --> with an arrow-looking thing?

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.500 align:start position:10%
<v Roger>Hi <c.yellow>there</c> &amp; welcome<00:02.000>!

01:02:03.040 --> 01:02:04.000
late
"""


def test_srt() -> None:
    assert parse_captions(SRT) == [Cue(1_000, 3_500, "Hello there"),
                                   Cue(4_000, 6_000, "Two lines,\nsecond line")]


def test_vtt_with_header_notes_styles_and_inline_tags() -> None:
    assert parse_captions(VTT) == [Cue(1_000, 2_500, "Hi there & welcome!"),
                                   Cue(3_723_040, 3_724_000, "late")]


def test_crlf_bom_and_out_of_order_cues() -> None:
    text = "\ufeff2\r\n00:00:05,000 --> 00:00:06,000\r\nB\r\n\r\n1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n"
    assert parse_captions(text) == [Cue(1_000, 2_000, "A"), Cue(5_000, 6_000, "B")]


def test_broken_blocks_are_skipped() -> None:
    text = ("1\n00:00:02,000 --> 00:00:01,000\nends before it starts\n\n"
            "2\nnot a timing\ntext\n\n3\n00:00:03,000 --> 00:00:04,000\n\n"
            "4\n00:00:05,000 --> 00:00:06,000\nok\n")
    assert parse_captions(text) == [Cue(5_000, 6_000, "ok")]


def test_hostile_text_is_kept_literally() -> None:
    text = "1\n00:00:00,000 --> 00:00:01,000\n'; drawtext=text=%{pts}:x=[in] \\ 😀 中文\n"
    assert parse_captions(text) == [Cue(0, 1_000, "'; drawtext=text=%{pts}:x=[in] \\ 😀 中文")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_encodings(encoding: str) -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\n你好，世界\n"
    assert parse_captions(decode_text(text.encode(encoding))) == [Cue(1_000, 2_000, "你好，世界")]


def test_latin1_fallback() -> None:
    data = "1\n00:00:01,000 --> 00:00:02,000\ncafé\n".encode("latin-1")
    assert parse_captions(decode_text(data))[0].text in ("café", "caf\u00e9")


def test_read_captions_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "subs.srt"
    path.write_text(SRT, encoding="utf-8")
    assert len(read_captions(path)) == 2


def test_a_file_without_cues_names_the_expected_format(tmp_path: Path) -> None:
    path = tmp_path / "empty.vtt"
    path.write_text("WEBVTT\n\nNOTE nothing here\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_captions(path)
    message = render(info.value.key, "en", **info.value.ctx)
    assert "empty.vtt" in message and "-->" in message


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_captions(tmp_path / "gone.srt")
    assert info.value.key == "file_missing"
