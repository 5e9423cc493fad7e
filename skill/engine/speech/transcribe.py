"""The reader around :mod:`.analysis`: decode a clip's sound, run the VAD and the
Whisper model (faster-whisper, CTranslate2 int8 on the CPU), return an
:class:`~.analysis.Analysis`. faster-whisper is imported here only, on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ConfigError, InputError
from .analysis import SAMPLE_RATE, Analysis, Word, frame_loudness, refine_starts, speech_segments
from .model import ModelChoice, models_dir, no_model, resolve
from .script import to_script

Progress = Callable[[float], None]
_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def load_audio(path: Path) -> np.ndarray:
    """The clip's sound as 16 kHz mono float32 (silence for a clip with no audio)."""
    from faster_whisper.audio import decode_audio

    try:
        return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)
    except (OSError, ValueError, IndexError) as exc:
        raise InputError(f"cannot read the sound of {path.name}: {exc}",
                         key="speech_unreadable", file=path.name) from exc
    except Exception as exc:   # PyAV raises its own error tree
        if type(exc).__module__.startswith("av"):
            raise InputError(f"cannot read the sound of {path.name}: {exc}",
                             key="speech_unreadable", file=path.name) from exc
        raise


def threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def load_model(choice: ModelChoice) -> Any:
    """The faster-whisper model (kept for the process: loading costs ~0.5 s)."""
    with _LOCK:
        model = _MODELS.get(choice.path_or_name)
        if model is None:
            from faster_whisper import WhisperModel

            try:
                model = WhisperModel(choice.path_or_name, device="cpu", compute_type="int8",
                                     cpu_threads=threads())
            except Exception as exc:   # no network for the download, a damaged folder
                if choice.source == "download":
                    raise no_model() from exc
                raise ConfigError(f"cannot load the speech model {choice.label}: {exc}",
                                  key="speech_model_bad_env", path=choice.label) from exc
            _MODELS[choice.path_or_name] = model
    return model


def transcribe_samples(model: Any, samples: np.ndarray, *, language: str | None = None,
                       progress: Progress | None = None) -> tuple[str, list[Word]]:
    """(language, words) of 16 kHz mono samples."""
    duration = len(samples) / SAMPLE_RATE
    if duration < 0.1:
        return language or "", []
    segments, info = model.transcribe(
        samples, language=language, word_timestamps=True, beam_size=1,
        vad_filter=True, condition_on_previous_text=False,
        vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 200})
    words: list[Word] = []
    for seg in segments:
        for w in seg.words or []:
            text = w.word.strip()
            if text:
                words.append(Word(int(round(w.start * 1000)), int(round(w.end * 1000)), text,
                                  float(w.probability)))
        if progress is not None and duration:
            progress(min(1.0, seg.end / duration))
    return str(info.language), words


def analyse_samples(samples: np.ndarray, model: Any, model_label: str, *,
                    language: str | None = None, script: str = "s",
                    progress: Progress | None = None) -> Analysis:
    """The full analysis of one clip's samples."""
    lang, words = transcribe_samples(model, samples, language=language, progress=progress)
    words = refine_starts(words, samples)
    if lang == "zh":
        words = [Word(w.start_ms, w.end_ms, to_script(w.text, script), w.prob) for w in words]
    return Analysis(duration_ms=int(len(samples) * 1000 // SAMPLE_RATE), language=lang,
                    words=tuple(words), speech=tuple(speech_segments(samples)),
                    loudness=tuple(frame_loudness(samples)), model=model_label)


def analyse_file(path: Path, *, script: str = "s", progress: Progress | None = None) -> Analysis:
    """Decode ``path`` and analyse it with the resolved model."""
    choice = resolve(models_dir())
    samples = load_audio(path)
    model = load_model(choice)
    return analyse_samples(samples, model, choice.label, script=script, progress=progress)
