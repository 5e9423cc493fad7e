"""The virtual camera of a subject-aware reframe (pure): subjects per sample in, a calm
crop path out, and the ffmpeg ``crop`` x expression that plays it.

Like Google's AutoFlip the camera **holds** while the subject stays inside a dead zone
around the crop's centre, **eases** (smoothstep) to where the subject will be when the
move ends (the analysis is offline, so it can look ahead and lead rather than lag), and
**jumps** only at scene cuts. Several subjects are framed together when they fit.

The dead zone is as wide as the subject's size allows (a small face may stray further
than a big one before the camera moves), and a move **leads** a subject that keeps going
one way: it lands past the subject, which then walks across the whole dead zone before
the next move. Fewer, decisive moves are calmer to watch (what a tracked render costs
over a static crop is mostly the subject it shows, not the moves: docs/performance.md).

Positions are the crop's centre as a share of the source width (0–1); times seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...draft import Segment
from ..render.filtergraph import number
from .detect import Box

#: the subject's centre may stray this share of its room (how far it can go from the
#: crop's centre and still be wholly inside) before the camera moves …
DEAD_ZONE = 0.55
#: … but at least / at most this share of the crop width
DEAD_MIN, DEAD_MAX = 0.12, 0.3
#: a move lands this share of the dead zone past a subject that keeps going that way
LEAD = 0.8
#: the subject "keeps going" when it travels this share of the crop width per second
#: one way (judged over the LOOK_S seconds after the move starts)
LEAD_SPEED, LOOK_S = 0.015, 3.0
#: a move lasts between these (seconds), longer for longer distances
MOVE_MIN_S, MOVE_MAX_S = 0.4, 1.2
#: crop widths travelled per second at most, outside of cuts
MOVE_SPEED = 0.9
#: samples a detection may be missing before the subject counts as gone
HOLD_MISSING = 5
#: a jump at a cut lasts one frame boundary
JUMP_S = 0.001

Keyframe = tuple[float, float]


def frame_of(boxes: Sequence[Box], crop_w: float) -> tuple[float, float] | None:
    """(centre, width) of what the crop should frame: all the subjects together when
    they fit inside the crop, else the most important one; None without subjects."""
    if not boxes:
        return None
    faces = [b for b in boxes if b.kind == "face"] or list(boxes)
    lo, hi = min(b.x0 for b in faces), max(b.x1 for b in faces)
    if hi - lo <= crop_w * 0.9:
        return (lo + hi) / 2, hi - lo
    main = max(faces, key=lambda b: b.weight)
    return main.cx, main.width


def target_of(boxes: Sequence[Box], crop_w: float) -> float | None:
    """Where the crop's centre should be for these subjects (see :func:`frame_of`)."""
    found = frame_of(boxes, crop_w)
    return None if found is None else found[0]


def _clamp(x: float, crop_w: float) -> float:
    half = crop_w / 2
    return min(1 - half, max(half, x))


def _median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _smooth(raw: list[tuple[float, float] | None]) -> list[tuple[float, float] | None]:
    """Short detection gaps filled by the last value, jitter removed (median of five)."""
    filled: list[tuple[float, float] | None] = []
    last, missing = None, 0
    for value in raw:
        if value is None:
            missing += 1
            filled.append(last if missing <= HOLD_MISSING else None)
        else:
            last, missing = value, 0
            filled.append(value)
    out: list[tuple[float, float] | None] = []
    for i, value in enumerate(filled):
        if value is None:
            out.append(None)
            continue
        window = [v for v in filled[max(0, i - 2): i + 3] if v is not None]
        out.append((_median([c for c, _ in window]), _median([w for _, w in window])))
    return out


def targets(samples: Sequence[tuple[float, Sequence[Box]]], crop_w: float) -> list[float | None]:
    """Per-sample target centres, with short detection gaps filled by the last target and
    jitter removed (median of five)."""
    return [None if v is None else v[0]
            for v in _smooth([frame_of(boxes, crop_w) for _, boxes in samples])]


def dead_zone(crop_w: float, subject_w: float) -> float:
    """How far (share of the source width) the subject's centre may stray from the crop's
    centre before the camera moves: :data:`DEAD_ZONE` of its room, within
    :data:`DEAD_MIN`…:data:`DEAD_MAX` of the crop width."""
    room = max(0.0, (crop_w - subject_w) / 2)
    return min(DEAD_MAX * crop_w, max(DEAD_MIN * crop_w, DEAD_ZONE * room))


def _lead(known: Sequence[tuple[float, float]], j: int, dead: float, crop_w: float) -> float:
    """How far past the subject a move starting at sample ``j`` should land: :data:`LEAD`
    of the dead zone in the way the subject keeps going over the next :data:`LOOK_S`
    (both halves of that look the same way, fast enough), else 0."""
    t0, x0 = known[j]
    later = [(t, x) for t, x in known[j:] if t <= t0 + LOOK_S]
    if len(later) < 3 or later[-1][0] - t0 < LOOK_S / 2:
        return 0.0
    _, xm = later[len(later) // 2]
    t1, x1 = later[-1]
    speed = (x1 - x0) / (t1 - t0)
    if (xm - x0) * (x1 - xm) <= 0 or abs(speed) < LEAD_SPEED * crop_w:
        return 0.0
    return LEAD * dead * (1 if speed > 0 else -1)


def plan_path(samples: Sequence[tuple[float, Sequence[Box]]], cuts: Sequence[float],
              duration: float, crop_w: float) -> list[Keyframe]:
    """Keyframes (time, centre) of the camera over ``0…duration``. Between consecutive
    keyframes the camera eases; equal centres hold; keyframes :data:`JUMP_S` apart are a
    cut. A scene without any subject is framed at the centre."""
    if crop_w >= 0.999 or not samples:
        return [(0.0, 0.5)]
    tgt = _smooth([frame_of(boxes, crop_w) for _, boxes in samples])
    times = [t for t, _ in samples]
    edges = [0.0, *sorted(c for c in cuts if 0 < c < duration), duration]
    keys: list[Keyframe] = []
    for a, b in zip(edges, edges[1:], strict=False):
        idx = [i for i, t in enumerate(times) if a <= t < b]
        framed = [(times[i], v) for i in idx if (v := tgt[i]) is not None]
        known = [(t, c) for t, (c, _) in framed]
        first = _clamp(known[0][1], crop_w) if known else 0.5
        if keys:
            keys.append((a - JUMP_S, keys[-1][1]))
        keys.append((a, first))
        x, busy_until = first, a
        for j, (t, (value, width)) in enumerate(framed):
            dead = dead_zone(crop_w, width)
            if t < busy_until or abs(value - x) <= dead:
                continue
            lead = _lead(known, j, dead, crop_w)
            dist = abs(value + lead - x)
            dur = min(MOVE_MAX_S, max(MOVE_MIN_S, dist / (MOVE_SPEED * crop_w)))
            end = min(t + dur, b - JUMP_S)
            # aim at where the subject will be when the move ends, past it when it walks on
            ahead = [v for tt, v in known[j:] if tt <= end]
            goal = _clamp((ahead[-1] if ahead else value) + lead, crop_w)
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


def crop_x_expr(keys: Sequence[Keyframe], *, offset_s: float = 0.0, speed: float = 1.0,
                until_s: float | None = None) -> str:
    """The ``crop`` filter's x for these keyframes, evaluated per frame: the first
    centre plus one eased step per move, so the expression is a flat sum (no nesting,
    no depth limit). ``t`` is the segment's output time: source time is
    ``offset_s + t × speed``. Only the moves inside the segment's source window
    (``offset_s`` … ``until_s``) are written out: those before it are folded into the
    first centre, so a segment in which the camera holds gets a constant x. The crop
    filter keeps x inside the frame itself."""
    base = keys[0][1]
    terms: list[str] = []
    for (t0, x0), (t1, x1) in zip(keys, keys[1:], strict=False):
        if x1 == x0 or (until_s is not None and t0 >= until_s):
            continue
        if t1 <= offset_s:   # over before the segment starts
            base += x1 - x0
            continue
        a = (t0 - offset_s) / speed
        d = max(1e-6, (t1 - t0) / speed)
        shift = f"t-{number(a)}" if a >= 0 else f"t+{number(-a)}"
        s = f"clip(({shift})/{number(d)},0,1)"
        terms.append(f"{number(x1 - x0)}*{s}*{s}*(3-2*{s})")
    centre = "+".join([number(round(base, 5)), *terms]).replace("+-", "-")
    return f"({centre})*iw-ow/2"


def camera_x(seg: Segment, speed: float = 1.0, start_ms: int | None = None,
             span_s: float | None = None) -> str | None:
    """The crop x expression of a video segment that carries a camera path (``cam``:
    keyframes in source seconds; ``start_ms``, else its ``in_ms``: where the segment's
    first frame is in the source; ``span_s``: how many source seconds it plays), or None
    for a centre crop."""
    if not seg.cam:
        return None
    keys = [(float(t), float(x)) for t, x in seg.cam]
    if not all(0.0 <= x <= 1.0 and t == t for t, x in keys):
        return None
    start = seg.in_ms if start_ms is None else start_ms
    offset = max(0.0, float(start) / 1000) if start is not None else 0.0
    until = None if span_s is None else offset + span_s
    return crop_x_expr(keys, offset_s=offset, speed=speed or 1.0, until_s=until)
