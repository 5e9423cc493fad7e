"""Probing generated clips with PyAV, the MP4 atom reader and the ffmpeg runner's pieces."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.engine.render.ffmpeg import ffmpeg_exe, parse_progress_line, with_progress_args
from skill.engine.render.probe import moov_before_mdat, probe, top_level_atoms
from skill.errors import ConfigError, InputError
from tests import media


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("probe")


def test_rotated_phone_clip_reports_display_size(src: Path) -> None:
    p = probe(media.rotated_clip(src / "rot.mp4"))
    assert (p.rotation, p.width, p.height, p.portrait) == (90, 180, 320, True)
    assert (p.has_audio, p.sample_rate, p.vfr, p.is_image) == (True, 44100, False, False)
    assert p.moov_before_mdat is False                       # plain ffmpeg mp4: moov last


def test_vfr_hevc_odd_image_and_no_audio(src: Path) -> None:
    assert probe(media.vfr_clip(src / "vfr.mp4")).vfr is True
    assert probe(media.plain_clip(src / "cfr.mp4")).vfr is False
    hevc = probe(media.hevc60_clip(src / "hevc.mp4"))
    assert (hevc.vcodec, hevc.fps, hevc.pix_fmt, hevc.channels) == ("hevc", 60.0, "yuv420p10le", 2)
    odd = probe(media.odd_clip(src / "odd.mp4"))
    assert (odd.width, odd.height, odd.has_audio, odd.fps) == (321, 181, False, 25.0)
    still = probe(media.still_image(src / "still.png"))
    assert (still.is_image, still.width, still.height, still.moov_before_mdat) == \
        (True, 300, 400, None)


def test_exhaustive_probe_counts_every_frame(src: Path) -> None:
    p = probe(media.plain_clip(src / "two.mp4", seconds=2.0), exhaustive=True)
    assert (p.frame_count, p.video_duration, p.duration) == (60, 2.0, 2.0)


def test_unreadable_file_is_an_input_error(src: Path) -> None:
    junk = src / "junk.mp4"
    junk.write_bytes(b"\0" * 1000)
    with pytest.raises(InputError) as err:
        probe(junk)
    assert err.value.key == "error_unreadable" and err.value.ctx["file"] == "junk.mp4"


def test_top_level_atoms(tmp_path: Path) -> None:
    def box(kind: bytes, payload: bytes = b"") -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    fast = tmp_path / "fast.mp4"
    fast.write_bytes(box(b"ftyp", b"isom") + box(b"moov", b"x" * 20) + box(b"mdat", b"y" * 50))
    slow = tmp_path / "slow.mp4"
    large = (1).to_bytes(4, "big") + b"mdat" + (16 + 8).to_bytes(8, "big") + b"z" * 8
    slow.write_bytes(box(b"ftyp") + large + box(b"moov"))
    assert top_level_atoms(fast) == ["ftyp", "moov", "mdat"]
    assert top_level_atoms(slow) == ["ftyp", "mdat", "moov"]
    assert (moov_before_mdat(fast), moov_before_mdat(slow)) == (True, False)
    (tmp_path / "none.mp4").write_bytes(b"")
    assert moov_before_mdat(tmp_path / "none.mp4") is None


def test_progress_parsing_and_args() -> None:
    assert parse_progress_line("out_time_us=1500000\n") == 1.5
    assert parse_progress_line("out_time_ms=250000") == 0.25    # microseconds too
    assert parse_progress_line("out_time_us=N/A") is None
    assert parse_progress_line("frame=12") is None
    assert with_progress_args(["ff", "-y", "-nostdin", "o.mp4"]) == \
        ["ff", "-nostdin", "-nostats", "-progress", "pipe:1", "-y", "o.mp4"]


def test_ffmpeg_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = ffmpeg_exe()
    monkeypatch.setenv("IGEDIT_FFMPEG", real)
    assert ffmpeg_exe() == real
    monkeypatch.setenv("IGEDIT_FFMPEG", str(tmp_path / "no-ffmpeg"))
    with pytest.raises(ConfigError) as err:
        ffmpeg_exe()
    assert err.value.key == "error_no_ffmpeg"
