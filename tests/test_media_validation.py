from __future__ import annotations

from pathlib import Path

import pytest

from skill.errors import InputError
from skill.media import sniff, validate_file
from skill.templates import render

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def test_accepts_real_container(tmp_path: Path) -> None:
    f = tmp_path / "a.MP4"
    f.write_bytes(MP4_HEAD + b"\x00" * 100)
    assert validate_file(f) == (f.absolute(), "video")


@pytest.mark.parametrize(("name", "data", "key"), [
    ("virus.mp4", b"MZ\x90\x00" + b"\x00" * 100, "error_4001"),
    ("doc.pdf", b"%PDF-1.7", "error_4001"),
    ("noext", MP4_HEAD, "error_4001"),
    ("subs.srt", b"\x00\x01\x02binary", "error_4001"),
])
def test_rejects_unsupported(tmp_path: Path, name: str, data: bytes, key: str) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(InputError) as err:
        validate_file(f)
    assert err.value.key == key
    msg = render(err.value.key, "en", **err.value.ctx)
    assert "Supported formats: mp4, mov, avi, webm, mkv" in msg


def test_rejects_oversized_with_advice(tmp_path: Path) -> None:
    f = tmp_path / "big.mp4"
    with f.open("wb") as fh:
        fh.write(MP4_HEAD)
        fh.truncate(501 * 1024 * 1024)  # sparse
    with pytest.raises(InputError) as err:
        validate_file(f)
    assert err.value.key == "error_4002"
    msg = render("error_4002", "en", **err.value.ctx)
    assert "501.0 MB" in msg and "Compress it or trim it" in msg
    assert "压缩" in render("error_4002", "zh", **err.value.ctx)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        validate_file(tmp_path / "nope.mp4")
    assert render(err.value.key, "en", **err.value.ctx).endswith("no such file. Check the path and try again.")


def test_captions_accepted(tmp_path: Path) -> None:
    f = tmp_path / "c.srt"
    f.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n", encoding="utf-8")
    assert validate_file(f)[1] == "caption"
    v = tmp_path / "c.vtt"
    v.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n", encoding="utf-8")
    assert validate_file(v)[1] == "caption"


@pytest.mark.parametrize(("head", "family"), [
    (b"\x1a\x45\xdf\xa3", "mkv"), (b"RIFF\x00\x00\x00\x00AVI ", "avi"),
    (b"RIFF\x00\x00\x00\x00WAVE", "wav"), (b"\xff\xd8\xff\xe0", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"), (b"GIF89a", "gif"), (b"ID3\x03", "mp3"),
    (b"\xff\xf1\x50\x80", "aac"), (b"\x00\x00\x00\x20ftypM4A ", "m4a"),
    (b"\x00\x00\x00\x14ftypqt  ", "mov"), (b"hello", None),
])
def test_sniff(head: bytes, family: str | None) -> None:
    assert sniff(head) == family
