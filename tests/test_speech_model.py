"""The real speech model on the committed espeak-ng fixtures, and where the model comes from."""

from __future__ import annotations

import os
import stat
import statistics
from pathlib import Path

import pytest

from skill.engine.speech import model as speech_model
from skill.engine.speech.analysis import norm_token, wer
from skill.engine.speech.store import cache_path, get, load
from skill.errors import ConfigError
from tests.speech_support import analysis, clip, copy_clip, truth


def _starts(name: str) -> list[int]:
    """|start error| of every recognised word, matched in order to the truth."""
    words = truth(name)["words"]
    errs, j = [], 0
    for w in analysis(name).words:
        for k in range(j, len(words)):
            if words[k]["word"].lower() == norm_token(w.text):
                errs.append(abs(w.start_ms - words[k]["start_ms"]))
                j = k + 1
                break
    return errs


def test_english_transcript_accuracy_and_word_starts() -> None:
    a = analysis("talk_en")
    assert a.language == "en"
    assert a.model == "whisper-base (packaged)"
    ref = truth("talk_en")["text"].split()
    assert wer(ref, [norm_token(w.text) for w in a.words]) <= 0.10
    errs = _starts("talk_en")
    assert len(errs) >= 0.8 * len(ref)
    assert statistics.median(errs) <= 150
    # voice activity finds the five phrases, split at the known pauses
    assert len(a.speech) == 5
    for (_s, e), pause in zip(a.speech[:-1], truth("talk_en")["pauses"], strict=False):
        assert abs(e - pause["start_ms"]) < 250
    assert len(a.loudness) == -(-a.duration_ms * 30 // 1000)


def test_cache_is_private_and_reused(tmp_path: Path, home: Path) -> None:
    src = copy_clip("fillers_en", tmp_path)
    first = get(src, home)
    path = cache_path(src, home / "speech")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(path) == first
    assert get(src, home) == first          # from the cache: same object contents
    assert any(norm_token(w.text) == "um" for w in first.words)


def test_env_model_must_be_a_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGEDIT_SPEECH_MODEL", str(tmp_path))
    with pytest.raises(ConfigError) as exc:
        speech_model.resolve(tmp_path / "models")
    assert exc.value.key == "speech_model_bad_env"
    monkeypatch.setenv("IGEDIT_SPEECH_MODEL", str(tmp_path / "nope"))
    with pytest.raises(ConfigError):
        speech_model.resolve(tmp_path / "models")
    monkeypatch.setenv("IGEDIT_SPEECH_MODEL", "small")
    assert speech_model.resolve(tmp_path / "models").path_or_name == "small"


def test_packaged_model_is_checked_and_missing_one_names_the_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [tmp_path / "p1", tmp_path / "p2"]
    for i, d in enumerate(parts, 1):
        d.mkdir()
        (d / f"model.bin.part{i}").write_bytes(b"x" * 10)
    (parts[0] / "config.json").write_text("{}")
    bad = speech_model.Packaged("t", ("a", "b"), "0" * 64, 20, "pip install x")
    with pytest.raises(ConfigError) as exc:
        speech_model.assemble(bad, parts, tmp_path / "out")
    assert exc.value.key == "speech_model_damaged"
    assert not (tmp_path / "out" / "model.bin").exists()
    import hashlib

    good = speech_model.Packaged("t", ("a", "b"), hashlib.sha256(b"x" * 20).hexdigest(), 20, "")
    out = speech_model.assemble(good, parts, tmp_path / "out")
    assert (out / "model.bin").read_bytes() == b"x" * 20 and (out / "config.json").is_file()
    monkeypatch.setattr(speech_model, "PACKAGED", (speech_model.Packaged(
        "gone", ("no_such_module_xyz",), "0" * 64, 1, "pip install gone"),))
    with pytest.raises(ConfigError) as exc:
        speech_model.resolve(tmp_path / "m", allow_download=False)
    assert exc.value.key == "speech_no_model" and exc.value.ctx["install"] == "pip install gone"
    assert speech_model.describe(tmp_path / "m").startswith("none (")


def test_doctor_reports_the_model() -> None:
    from tests.test_cli_core import igedit

    out = igedit("doctor", "--backend", "local")
    assert "speech: whisper-base (packaged)" in out.stdout.splitlines(), out.stdout


def test_transcript_command(tmp_path: Path, home: Path) -> None:
    from tests.speech_support import seed
    from tests.test_cli_core import igedit

    seed(home, "talk_en")
    src = copy_clip("talk_en", tmp_path)
    assert igedit("upload", str(src), "--backend", "local").returncode == 0
    out = igedit("transcript", "--backend", "local")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Hello everyone, welcome back to my kitchen."
    srt = tmp_path / "t.srt"
    done = igedit("transcript", "--backend", "local", "--format", "srt", "-o", str(srt))
    assert done.returncode == 0 and f"Saved the transcript to {srt}." in done.stdout
    assert srt.read_text().startswith("1\n00:00:01,")
    again = igedit("transcript", "--backend", "local", "--format", "srt", "-o", str(srt))
    assert again.returncode != 0 and "--force" in again.stdout + again.stderr
    assert os.path.getsize(srt) > 100 and clip("talk_en").is_file()
    # a caption fix is a transcript fix: `igedit transcript` shows it afterwards
    fix = igedit("say", "fix the caption: kitchen → studio", "--backend", "local")
    assert fix.returncode == 0, fix.stdout + fix.stderr
    out = igedit("transcript", "--backend", "local")
    assert out.stdout.splitlines()[0] == "Hello everyone, welcome back to my studio."


@pytest.mark.timeout(900)
def test_upload_starts_the_analysis_in_the_background(tmp_path: Path, home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from skill.engine.speech.store import cached, start_background

    src = copy_clip("fillers_en", tmp_path)
    monkeypatch.setenv("IGEDIT_SPEECH", "0")
    assert start_background([src], home) is None          # turned off
    monkeypatch.setenv("IGEDIT_SPEECH", "1")
    # normal priority: on a shared test machine idle time may never come
    monkeypatch.setenv("IGEDIT_SPEECH_PRIORITY", "normal")
    proc = start_background([src], home)
    assert proc is not None
    assert proc.wait(timeout=600) == 0                     # the builder finished, not a sleep
    found = cached(src, home)
    assert found is not None and found.language == "en"
    assert stat.S_IMODE(cache_path(src, home / "speech").stat().st_mode) == 0o600
    assert start_background([src], home) is None           # ready: nothing to do
