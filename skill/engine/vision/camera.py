"""The virtual camera of a subject-aware reframe (pure): subjects per sample in, a calm
crop path out, and the ffmpeg ``crop`` x expression that plays it.

Like Google's AutoFlip the camera **holds** while the subject stays inside a dead zone
around the crop's centre, **eases** (smoothstep) to where the subject will be when the
move ends (the analysis is offline, so it can look ahead and lead rather than lag), and
**jumps** only at scene cuts. Several subjects are framed together when they fit.

Positions are the crop's centre as a share of the source width (0–1); times seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..render.filtergraph import number
from .detect import Box

#: the subject may stray this share of the crop width from its centre before it moves
DEAD_ZONE = 0.18
#: a move lasts between these (seconds), longer for longer distances
MOVE_MIN_S, MOVE_MAX_S = 0.4, 1.2
#: crop widths travelled per second at most, outside of cuts
MOVE_SPEED = 0.9
#: samples a detection may be missing before the subject counts as gone
HOLD_MISSING = 5
#: a jump at a cut lasts one frame boundary
JUMP_S = 0.001

Keyframe = tuple[float, float]


def target_of(boxes: Sequence[Box], crop_w: float) -> float | None:
    """Where the crop's centre should be for these subjects: all of them together when
    they fit inside the crop, else the most important one; None without subjects."""
    if not boxes:
        return None
    faces = [b for b in boxes if b.kind == "face"] or list(boxes)
    lo, hi = min(b.x0 for b in faces), max(b.x1 for b in faces)
    if hi - lo <= crop_w * 0.9:
        return (lo + hi) / 2
    return max(faces, key=lambda b: b.weight).cx


def _clamp(x: float, crop_w: float) -> float:
    half = crop_w / 2
    return min(1 - half, max(half, x))


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def targets(samples: Sequence[tuple[float, Sequence[Box]]], crop_w: float) -> list[float | None]:
    """Per-sample target centres, with short detection gaps filled by the last target and
    jitter removed (median of five)."""
    raw = [target_of(boxes, crop_w) for _, boxes in samples]
    filled: list[float | None] = []
    last, missing = None, 0
    for value in raw:
        if value is None:
            missing += 1
            filled.append(last if missing <= HOLD_MISSING else None)
        else:
            last, missing = value, 0
            filled.append(value)
    out: list[float | None] = []
    for i, value in enumerate(filled):
        if value is None:
            out.append(None)
            continue
        window = [v for v in filled[max(0, i - 2): i + 3] if v is not None]
        out.append(_median(window))
    return out


def plan_path(samples: Sequence[tuple[float, Sequence[Box]]], cuts: Sequence[float],
              duration: float, crop_w: float) -> list[Keyframe]:
    """Keyframes (time, centre) of the camera over ``0…duration``. Between consecutive
    keyframes the camera eases; equal centres hold; keyframes :data:`JUMP_S` apart are a
    cut. A scene without any subject is framed at the centre."""
    if crop_w >= 0.999 or not samples:
        return [(0.0, 0.5)]
    tgt = targets(samples, crop_w)
    times = [t for t, _ in samples]
    edges = [0.0, *sorted(c for c in cuts if 0 < c < duration), duration]
    keys: list[Keyframe] = []
    dead = DEAD_ZONE * crop_w
    for a, b in zip(edges, edges[1:], strict=False):
        idx = [i for i, t in enumerate(times) if a <= t < b]
        known = [(times[i], tgt[i]) for i in idx if tgt[i] is not None]
        first = _clamp(known[0][1], crop_w) if known else 0.5   # type: ignore[arg-type]
        if keys:
            keys.append((a - JUMP_S, keys[-1][1]))
        keys.append((a, first))
        x, busy_until = first, a
        for j, (t, value) in enumerate(known):
            assert value is not None
            if t < busy_until or abs(value - x) <= dead:
                continue
            dist = abs(value - x)
            dur = min(MOVE_MAX_S, max(MOVE_MIN_S, dist / (MOVE_SPEED * crop_w)))
            end = min(t + dur, b - JUMP_S)
            # lead: aim at where the subject will be when the move ends
            ahead = [v for tt, v in known[j:] if tt <= end]
            goal = _clamp(ahead[-1] if ahead else value, crop_w)  # type: ignore[arg-type]
            if abs(goal - x) <= 1e-4 or end <= t:
                continue
            keys += [(t, x), (end, goal)]
            x, busy_until = goal, end
    return _tidy(keys)


def _tidy(keys: list[Keyframe]) -> list[Keyframe]:
    out: list[Keyframe] = []
    for t, x in keys:
        t, x = round(t, 4), round(x, 5)
        if out and t <= out[-1][0]:
            if abs(x - out[-1][1]) < 1e-6:
                continue
            t = out[-1][0] + JUMP_S / 2
        if len(out) >= 2 and out[-1][1] == x == out[-2][1]:
            out[-1] = (t, x)    # a hold: keep its first and last keyframe only
            continue
        out.append((t, x))
    return out


def position_at(keys: Sequence[Keyframe], t: float) -> float:
    """The camera centre at time ``t`` (what :func:`crop_x_expr` computes, in Python)."""
    x = keys[0][1]
    for (t0, x0), (t1, x1) in zip(keys, keys[1:], strict=False):
        if x1 == x0:
            continue
        s = min(1.0, max(0.0, (t - t0) / (t1 - t0)))
        x += (x1 - x0) * s * s * (3 - 2 * s)
    return x


def crop_x_expr(keys: Sequence[Keyframe], *, offset_s: float = 0.0, speed: float = 1.0) -> str:
    """The ``crop`` filter's x for these keyframes, evaluated per frame: the first
    centre plus one eased step per move, so the expression is a flat sum (no nesting,
    no depth limit). ``t`` is the segment's output time: source time is
    ``offset_s + t × speed``. The crop filter keeps x inside the frame itself."""
    terms = [number(keys[0][1])]
    for (t0, x0), (t1, x1) in zip(keys, keys[1:], strict=False):
        if x1 == x0:
            continue
        a = (t0 - offset_s) / speed
        d = max(1e-6, (t1 - t0) / speed)
        shift = f"t-{number(a)}" if a >= 0 else f"t+{number(-a)}"
        s = f"clip(({shift})/{number(d)},0,1)"
        terms.append(f"{number(x1 - x0)}*{s}*{s}*(3-2*{s})")
    centre = "+".join(terms).replace("+-", "-")
    return f"({centre})*iw-ow/2"


def camera_x(meta: object, speed: float = 1.0, start_ms: int | None = None) -> str | None:
    """The crop x expression of a video segment whose meta carries a camera path
    (``m.cam``: keyframes in source seconds; ``start_ms``, else ``m.in``: where the
    segment's first frame is in the source),
    or None for a centre crop."""
    if not isinstance(meta, dict):
        return None
    raw = meta.get("cam")
    if not isinstance(raw, list) or not raw:
        return None
    try:
        keys = [(float(t), float(x)) for t, x in raw]
    except (TypeError, ValueError):
        return None
    if not all(0.0 <= x <= 1.0 and t == t for t, x in keys):
        return None
    start = meta.get("in") if start_ms is None else start_ms
    offset = max(0.0, float(start) / 1000) if isinstance(start, int | float) else 0.0
    return crop_x_expr(keys, offset_s=offset, speed=speed or 1.0)
