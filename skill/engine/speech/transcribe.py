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


#: Decoding settings, shared with ``benchmarks/bench_speech.py`` (whose direct call of the
#: library must decode exactly as igedit does). Why these (docs/performance.md has the
#: figures): faster-whisper's batched pipeline decodes each voiced chunk once, greedily,
#: with no seek-and-redecode and no temperature fallback, which costs ~4× less CPU than its
#: sequential ``transcribe`` on the same audio. Chunks of at most 15 s (cut at pauses by
#: the VAD) were more accurate than 30 s ones on our fixtures; ``without_timestamps`` must
#: stay on: with timestamp tokens the batched decoder drops a chunk's unfinished last
#: segment, which the sequential one would re-decode. A beam of 5 costs little here (the
#: encoder dominates) and heard "the roses" where greedy heard "a roman".
CHUNK_S = 15
BATCH = 4
OPTIONS: dict[str, Any] = {
    "word_timestamps": True, "beam_size": 5, "vad_filter": True, "without_timestamps": True,
    "condition_on_previous_text": False, "chunk_length": CHUNK_S, "batch_size": BATCH,
    "vad_parameters": {"min_silence_duration_ms": 500, "speech_pad_ms": 200},
}
#: A chunk whose text compresses better than this (gzip) is a repetition loop, which greedy
#: decoding can fall into on hard audio: it is decoded again the careful way (sequential,
#: with temperature fallback), as faster-whisper's own sequential path would.
LOOP_RATIO = 2.4
_PIPELINES: dict[int, Any] = {}


def pipeline(model: Any) -> Any:
    """The batched pipeline around ``model`` (one per model, kept for the process)."""
    with _LOCK:
        found = _PIPELINES.get(id(model))
        if found is None or found.model is not model:
            from faster_whisper import BatchedInferencePipeline

            found = _PIPELINES[id(model)] = BatchedInferencePipeline(model)
    return found


def _words(seg: Any, offset_s: float = 0.0) -> list[Word]:
    return [Word(int(round((w.start + offset_s) * 1000)), int(round((w.end + offset_s) * 1000)),
                 w.word.strip(), float(w.probability))
            for w in seg.words or [] if w.word.strip()]


def _careful(model: Any, samples: np.ndarray, start_s: float, end_s: float,
             language: str) -> list[Word]:
    """Words of ``samples[start_s:end_s]`` decoded sequentially, with temperature fallback."""
    a, b = int(start_s * SAMPLE_RATE), int(end_s * SAMPLE_RATE)
    segments, _info = model.transcribe(
        samples[a:b], language=language or None, word_timestamps=True, beam_size=OPTIONS["beam_size"],
        vad_filter=True, condition_on_previous_text=False,
        vad_parameters=OPTIONS["vad_parameters"])
    return [w for seg in segments for w in _words(seg, a / SAMPLE_RATE)]


def transcribe_samples(model: Any, samples: np.ndarray, *, language: str | None = None,
                       progress: Progress | None = None,
                       batched: Any = None) -> tuple[str, list[Word]]:
    """(language, words) of 16 kHz mono samples (``batched``: the pipeline to use
    instead of :func:`pipeline`'s)."""
    duration = len(samples) / SAMPLE_RATE
    if duration < 0.1:
        return language or "", []
    batched = pipeline(model) if batched is None else batched
    segments, info = batched.transcribe(samples, language=language, **OPTIONS)
    words: list[Word] = []
    for seg in segments:
        if seg.compression_ratio > LOOP_RATIO:
            words += _careful(model, samples, seg.start, seg.end, str(info.language))
        else:
            words += _words(seg)
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
