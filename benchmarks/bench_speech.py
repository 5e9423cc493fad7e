"""Speech analysis and jump-cut render speed, each against its baseline in the same run.

* transcription: 60 s of speech (the committed espeak-ng fixtures, repeated) with the
  default model — igedit's path (:func:`skill.engine.speech.transcribe.transcribe_samples`
  with onset refinement) against calling faster-whisper's batched pipeline directly with
  the same model, audio and settings, alternately; the real-time factor (clip s / wall s);
  and, for reference, faster-whisper's sequential ``transcribe`` (igedit's decoder
  before the batched one) on the same audio, with the CPU seconds of each.
* voice activity + loudness (:func:`speech_segments`, :func:`frame_loudness`) vs the
  clip's length.
* jump-cut render: a 60 s 1080×1920 clip cut 20 times (21 pieces, as "remove the
  silences" leaves it), :func:`skill.engine.render.pipeline.render` end to end against the single
  ffmpeg command an expert would type for the same cuts (seek per piece, concat,
  loudnorm, same encoder settings).

Targets: ≥ 4× real time; overhead ≤ 1.1×; VAD ≤ 0.05× the clip; render ≤ 1.15×.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_render import HAND_DELIVERY, cache_dir, make_source  # noqa: E402

from skill.draft import Draft, decode_draft  # noqa: E402
from skill.engine.render.ffmpeg import ffmpeg_exe  # noqa: E402
from skill.front.logs import configure as configure_logging  # noqa: E402


def speech_samples(seconds: float) -> Any:
    import numpy as np

    from skill.engine.speech.transcribe import load_audio

    parts = [load_audio(ROOT / "fixtures" / "speech" / f"{n}.mp4") for n in ("talk_en", "fillers_en")]
    one = np.concatenate(parts)
    reps = int(seconds * 16000 // len(one)) + 1
    return np.tile(one, reps)[: int(seconds * 16000)]


def pieces(seconds: int, cuts: int) -> list[tuple[int, int]]:
    """``cuts`` gaps of 0.6 s spread over the clip: the pieces kept (ms)."""
    total = seconds * 1000
    step = total // (cuts + 1)
    return [(i * step + (600 if i else 0), (i + 1) * step) for i in range(cuts + 1)]


def jumpcut_draft(src: Path, kept: list[tuple[int, int]]) -> Draft:
    segs, t = [], 0
    for a, b in kept:
        segs.append({"s": t, "d": b - a, "m": {"src": str(src), "name": src.name, "in": a,
                                               "speed": 1.0, "volume": 1.0, "kind": "video"}})
        t += b - a
    return decode_draft({"t": [{"tt": 0, "m": {}, "sg": segs}],
                         "m": {"ratio": "9:16", "w": 1080, "h": 1920}})


def handwritten_argv(src: Path, kept: list[tuple[int, int]], out: Path) -> list[str]:
    argv = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    graph = []
    for i, (a, b) in enumerate(kept):
        argv += ["-ss", f"{a / 1000:.3f}", "-t", f"{(b - a) / 1000:.3f}", "-i", str(src)]
        graph.append(f"[{i}:v]setpts=PTS-STARTPTS[v{i}];[{i}:a]asetpts=PTS-STARTPTS[a{i}]")
    joined = "".join(f"[v{i}][a{i}]" for i in range(len(kept)))
    graph.append(f"{joined}concat=n={len(kept)}:v=1:a=1[v][ac];"
                 f"[ac]loudnorm=I=-14:TP=-1:LRA=11,aresample=48000[a]")
    return argv + ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]",
                   *HAND_DELIVERY, str(out)]


def _med(runs: list[tuple[float, float]], i: int) -> float:
    """Median wall (i=0) or CPU (i=1) seconds of ``runs``."""
    return statistics.median(r[i] for r in runs)


def main() -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--no-render", action="store_true")
    ap.add_argument("--no-sequential", action="store_true",
                    help="skip the reference run of faster-whisper's sequential decoder")
    args = ap.parse_args()
    configure_logging(verbose=False)
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from skill.engine.speech.analysis import frame_loudness, speech_segments
    from skill.engine.speech.model import models_dir, resolve
    from skill.engine.speech.transcribe import (
        OPTIONS,
        refine_starts,
        threads,
        transcribe_samples,
    )

    choice = resolve(models_dir())
    model = WhisperModel(choice.path_or_name, device="cpu", compute_type="int8", cpu_threads=threads())
    samples = speech_samples(args.seconds)

    batched = BatchedInferencePipeline(model)   # the library itself, not igedit's helper

    def direct() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        segments, _info = batched.transcribe(samples, **OPTIONS)
        for seg in segments:
            list(seg.words or [])
        return time.perf_counter() - t0, time.process_time() - c0

    def sequential() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        segments, _info = model.transcribe(
            samples, word_timestamps=True, beam_size=1, vad_filter=True,
            condition_on_previous_text=False, vad_parameters=OPTIONS["vad_parameters"])
        for seg in segments:
            list(seg.words or [])
        return time.perf_counter() - t0, time.process_time() - c0

    def ours() -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        _lang, words = transcribe_samples(model, samples)
        refine_starts(words, samples)
        return time.perf_counter() - t0, time.process_time() - c0

    direct()   # warm the model once, outside the timings
    ours_t, direct_t, seq_t = [], [], []
    for _ in range(args.rounds):
        ours_t.append(ours())
        direct_t.append(direct())
        if not args.no_sequential:
            seq_t.append(sequential())
    t0 = time.perf_counter()
    speech_segments(samples)
    frame_loudness(samples)
    vad_s = time.perf_counter() - t0
    result: dict[str, Any] = {
        "model": choice.label, "clip_seconds": args.seconds,
        "ours_median_s": _med(ours_t, 0), "direct_median_s": _med(direct_t, 0),
        "ours_cpu_s": _med(ours_t, 1), "direct_cpu_s": _med(direct_t, 1),
        "overhead_ratio": _med(ours_t, 0) / _med(direct_t, 0),
        "overhead_cpu_ratio": _med(ours_t, 1) / _med(direct_t, 1),
        "realtime_factor": args.seconds / _med(ours_t, 0),
        "vad_loudness_s": vad_s, "vad_fraction_of_clip": vad_s / args.seconds,
    }
    if seq_t:
        result.update(sequential_median_s=_med(seq_t, 0), sequential_cpu_s=_med(seq_t, 1),
                      sequential_realtime_factor=args.seconds / _med(seq_t, 0),
                      speedup_vs_sequential=_med(seq_t, 0) / _med(ours_t, 0))
    if not args.no_render:
        from skill.engine.render.pipeline import render

        cache = cache_dir()
        src = make_source(cache / f"reference-{args.seconds}s.mp4", args.seconds)
        kept = pieces(args.seconds, 20)
        draft = jumpcut_draft(src, kept)
        work, music, outs = cache / "work", cache / "music", cache / "out"
        for folder in (work, music, outs):
            folder.mkdir(parents=True, exist_ok=True)
        r_ours, r_hand = [], []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            asyncio.run(render(draft, outs / "jumpcut.mp4", work_dir=work, music_dir=music,
                               make_proxies=False))
            r_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run(handwritten_argv(src, kept, outs / "jumpcut-hand.mp4"), check=True)
            r_hand.append(time.perf_counter() - t0)
        result.update(jumpcut_cuts=len(kept) - 1, jumpcut_ours_median_s=statistics.median(r_ours),
                      jumpcut_hand_median_s=statistics.median(r_hand),
                      jumpcut_ratio=statistics.median(r_ours) / statistics.median(r_hand))
    return result


if __name__ == "__main__":
    print(json.dumps(main()))
