"""Transitions between the video segments of a render (pure string building).

Each cut becomes an ``xfade`` of the picture and an ``acrossfade`` of the sound, both
:func:`spec` frames long. So that the timeline keeps its length (and titles, captions
and music stay where they were), every segment is rendered with **handles**: half a
transition of extra footage before its in point (not the first) and after its out
point (not the last), which the overlap then consumes.
"""

from __future__ import annotations

from ...draft import Draft, Segment
from . import filtergraph as fg

#: the user's word → ffmpeg's xfade transition
STYLES: dict[str, str] = {"crossfade": "fade", "black": "fadeblack", "white": "fadewhite",
                          "wipe": "wipeleft", "slide": "slideleft", "zoom": "zoomin"}
MIN_FRAMES = 3


def spec(draft: Draft) -> tuple[str, int] | None:
    """(xfade transition, length in frames of the draft's frame rate) from the draft's
    ``transition``, or None."""
    wanted = draft.transition
    style = STYLES.get(wanted.style) if wanted is not None else None
    if wanted is None or style is None:
        return None
    frames = max(MIN_FRAMES, fg.frame_at(int(wanted.ms), fg.output_fps(draft)))
    return style, frames - frames % 2      # even: half before the cut, half after


def fit(frames: int, shortest: int) -> int:
    """The transition length (even frames) for segments of which the shortest has
    ``shortest`` frames: never more than most of a segment."""
    return max(0, min(frames, shortest - 2)) // 2 * 2


def plan(draft: Draft, segments: list[Segment]) -> tuple[tuple[str, int] | None, int]:
    """The draft's transition (xfade name, frames fitted to its segments) or None, and
    how many segments the render joins."""
    fps = fg.output_fps(draft)
    durations = [fg.frame_at(s.dur_ms, fps) for s in segments if s.dur_ms > 0]
    wanted = spec(draft)
    if wanted is None or len(durations) < 2:
        return None, len(durations)
    frames = fit(wanted[1], min(durations))
    return ((wanted[0], frames) if frames >= MIN_FRAMES else None), len(durations)


def handles(index: int, count: int, frames: int) -> tuple[int, int]:
    """Extra frames (before, after) segment ``index`` of ``count`` is rendered with."""
    half = frames // 2
    return (half if index > 0 else 0), (half if index < count - 1 else 0)


def join(lengths: list[int], style: str, frames: int, fps: int = fg.FPS) -> list[str]:
    """Statements joining ``[v0]…[vN-1]``/``[a0]…`` (``lengths`` in frames at ``fps``,
    handles included) into ``[vcat]``/``[acat]`` with one transition of ``frames`` per cut."""
    if len(lengths) == 1:
        return ["[v0]null[vcat]", "[a0]anull[acat]"]
    out: list[str] = []
    vprev, aprev, done = "v0", "a0", lengths[0]
    dur = fg.number(frames / fps)
    for k in range(1, len(lengths)):
        last = k == len(lengths) - 1
        vnext, anext = ("vcat", "acat") if last else (f"vx{k}", f"ax{k}")
        offset = fg.number((done - frames) / fps)
        out.append(f"[{vprev}][v{k}]xfade=transition={style}:duration={dur}:offset={offset}"
                   f"[{vnext}]")
        out.append(f"[{aprev}][a{k}]acrossfade=ns={frames * fg.samples_per_frame(fps)}"
                   f":c1=tri:c2=tri[{anext}]")
        done += lengths[k] - frames
        vprev, aprev = vnext, anext
    return out
