"""Loudness as promised: measure the mixed audio first, then apply one gain and a limiter.

Every export is −14 LUFS integrated (±1 LU) with a true peak at or below −1 dBTP.
ffmpeg's single-pass ``loudnorm`` cannot promise that: in dynamic mode it needs a 3 s
window, so short clips land 1–3 LU low, and it shifts audio timestamps on some inputs.
Instead (measure, then apply):

1. an audio-only ffmpeg pass over the exact mix the render will make, ending in
   ``ebur128=peak=true`` (integrated loudness and true peak, the EBU R128 meter);
2. the render applies the linear gain that brings that mix to −14 LUFS, then a
   look-ahead limiter whose ceiling keeps the true peak under −1 dBTP after AAC;
3. when the gain would push peaks into the limiter (quiet speech with sharp
   consonants), the pass is run again *with* gain and limiter and the gain corrected
   by what the limiter took, at most :data:`REFINE_PASSES` times;
4. the self-check measures the delivered file with the same meter.

Silence stays silent: a mix whose integrated loudness is below :data:`SILENT_LUFS`
(silence, a muted clip, a bare noise floor) gets no gain at all.

The pure parts — argv for a measurement, parsing the meter's summary, deciding the
gain, checking a measured file — are functions of their inputs; :func:`measure` is
the thin runner around ffmpeg.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

TARGET_LUFS = -14.0
TOLERANCE_LU = 1.0
MAX_TRUE_PEAK_DB = -1.0
#: below this integrated loudness the mix counts as silence / a noise floor: no gain
SILENT_LUFS = -55.0
#: the limiter's sample-peak ceiling (dBFS). AAC encoding and inter-sample peaks add up
#: to ~0.7 dB on loud, dense material; 1.5 dB of room keeps the true peak under −1 dBTP.
LIMIT_DB = -2.5
#: the refinement aims at the middle of the tolerance, and stops within this many LU
_AIM_LU = 0.3
REFINE_PASSES = 2
#: the meter's frame log goes to the "verbose" level, so an "info" run prints the summary only
METER = "ebur128=peak=true:framelog=verbose"

_I_RE = re.compile(r"^\s*I:\s*(-?(?:inf|[\d.]+))\s*LUFS", re.M)
_PEAK_RE = re.compile(r"^\s*Peak:\s*(-?(?:inf|[\d.]+))\s*dBFS", re.M)


@dataclass(frozen=True)
class Loudness:
    """One EBU R128 measurement: integrated loudness (LUFS) and true peak (dBTP).

    ``integrated`` is ``-inf`` for silence (the meter reports −70, its floor)."""

    integrated: float
    true_peak: float

    @property
    def silent(self) -> bool:
        return self.integrated < SILENT_LUFS


def _number(text: str) -> float:
    return float(text.replace("inf", "Infinity")) if "inf" in text else float(text)


def parse_summary(log: str) -> Loudness | None:
    """The last ``ebur128`` summary in an ffmpeg log (None when there is none)."""
    i_found = _I_RE.findall(log)
    p_found = _PEAK_RE.findall(log)
    if not i_found or not p_found:
        return None
    integrated = _number(i_found[-1])
    if integrated <= -70.0:   # the meter's floor: nothing above the absolute gate
        integrated = -math.inf
    return Loudness(integrated, _number(p_found[-1]))


def gain_for(measured: Loudness) -> float | None:
    """Gain in dB bringing ``measured`` to the target; None for silence (no gain)."""
    if measured.silent:
        return None
    return TARGET_LUFS - measured.integrated


def needs_refining(gain_db: float, measured: Loudness) -> bool:
    """True when ``gain_db`` pushes the measured peaks into the limiter, which then
    lowers the loudness: the gain has to be measured again with the limiter in place."""
    return measured.true_peak + gain_db > LIMIT_DB


def refine(gain_db: float, after: Loudness) -> float | None:
    """The corrected gain after a pass measured ``after`` with ``gain_db`` and the limiter
    applied; None when it is already within :data:`_AIM_LU` of the target."""
    if after.silent or abs(after.integrated - TARGET_LUFS) <= _AIM_LU:
        return None
    return gain_db + (TARGET_LUFS - after.integrated)


def master_filters(gain_db: float | None, *, limit: bool) -> list[str]:
    """The loudness stage of the master chain: the measured gain, then the limiter."""
    out = []
    if gain_db is not None and abs(gain_db) > 0.005:
        out.append(f"volume={gain_db:.2f}dB")
    if limit:
        # level=false: never auto-level towards the ceiling; latency: no added delay
        out.append(f"alimiter=limit={10 ** (LIMIT_DB / 20):.4f}:level=false"
                   ":attack=5:release=50:latency=true")
    return out


def file_argv(ffmpeg: str, path: str) -> list[str]:
    """ffmpeg argv measuring the first audio stream of ``path`` (decode only)."""
    return [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "info", "-i", path,
            "-map", "0:a:0", "-af", METER, "-f", "null", "-"]


def check(measured: Loudness | None, *, silent: bool) -> list[tuple[str, dict[str, str]]]:
    """Self-check violations (template key, context) of a delivered file's loudness.

    ``silent``: the mix was silence, so it must have stayed silent (no target)."""
    if measured is None:
        return [("check_loudness_unmeasured", {})]
    found: list[tuple[str, dict[str, str]]] = []
    if silent:   # (1 LU of slack: the meter reads a near-threshold mix a hair apart)
        if measured.integrated > SILENT_LUFS + TOLERANCE_LU:
            found.append(("check_silence_raised", {"found": f"{measured.integrated:.1f}"}))
    elif abs(measured.integrated - TARGET_LUFS) > TOLERANCE_LU:
        found.append(("check_loudness", {"found": f"{measured.integrated:.1f}",
                                         "target": f"{TARGET_LUFS:.0f}"}))
    if measured.true_peak > MAX_TRUE_PEAK_DB:
        found.append(("check_true_peak", {"found": f"{measured.true_peak:+.1f}",
                                          "limit": f"{MAX_TRUE_PEAK_DB:.0f}"}))
    return found


async def measure(argv: list[str], *, label: str = "loudness") -> Loudness | None:
    """Run a measuring ffmpeg ``argv`` (ending in :data:`METER`); its summary."""
    from .ffmpeg import run_ffmpeg

    log: list[str] = []
    await run_ffmpeg(argv, label=label, stderr_lines=log)
    return parse_summary("\n".join(log))


async def settle_gain(measure_with: Callable[[float | None], Awaitable[Loudness | None]],
                      ) -> tuple[float | None, bool]:
    """Measure, then decide: (gain in dB or None, whether the mix is silent).

    ``measure_with(gain)`` runs the measuring pass of the render with that gain (None:
    the bare mix, no limiter). Usually one pass; more only when the limiter engages.
    """
    first = await measure_with(None)
    if first is None:   # no summary (cannot happen with a working ffmpeg): no gain
        return None, False
    gain = gain_for(first)
    if gain is None:
        return None, True
    if not needs_refining(gain, first):
        return gain, False
    for _ in range(REFINE_PASSES):
        after = await measure_with(gain)
        better = refine(gain, after) if after is not None else None
        if better is None:
            break
        gain = better
    return gain, False
