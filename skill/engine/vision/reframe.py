"""Subject-aware reframe at render time: give each cropped video segment of a draft its
camera path (``Segment.cam``: keyframes in source seconds), from the clip's analysis.

Only a crop that cuts the sides off (landscape → 9:16, 4:5, 1:1) follows the subject;
``Draft.reframe == "center"`` (the user said "keep it centred") or a clip in which no
subject is found keeps the centre crop. The render turns ``cam`` into a time-varying
``crop`` in the same single ffmpeg pass (:func:`.camera.crop_x_expr`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import structlog

from ...draft import VIDEO, Draft
from ..render.filtergraph import canvas
from ..render.probe import Probe
from .analysis import Analysis, analyse_cached
from .camera import plan_path

log = structlog.get_logger(__name__)
Analyser = Callable[[Path], Analysis | None]

#: ``Draft.reframe`` values
FOLLOW, CENTER = "subject", "center"


def crop_width(src_w: float, src_h: float, out_w: int, out_h: int) -> float:
    """Share of the source width a crop to the canvas's shape keeps (1 = all of it)."""
    if src_w <= 0 or src_h <= 0:
        return 1.0
    return min(1.0, (src_h * out_w / out_h) / src_w)


def wants_tracking(draft: Draft) -> bool:
    fit = (draft.fit or "crop").lower()
    return fit == "crop" and (draft.reframe or FOLLOW).lower() != CENTER


def attach_paths(draft: Draft, probes: Mapping[str, Probe],
                 analyser: Analyser) -> tuple[Draft, int]:
    """A copy of ``draft`` whose cropped video segments carry ``cam``, and how many do.
    ``analyser`` gives a clip's analysis (None: none to be had). Pure but for it."""
    if not wants_tracking(draft):
        return draft, 0
    out_w, out_h = canvas(draft)
    out = draft.copy()
    followed = 0
    for track in out.tracks:
        if track.type != VIDEO:
            continue
        for seg in track.segments:
            if seg.kind == "image":
                continue
            pr = probes.get(seg.src or "")
            if seg.src is None or pr is None or pr.is_image or not pr.has_video:
                continue
            crop_w = crop_width(pr.width * (pr.sar or 1.0), pr.height, out_w, out_h)
            if crop_w >= 0.98:
                continue
            found = analyser(Path(seg.src))
            if found is None or not found.has_subject:
                continue
            keys = plan_path(found.subjects, found.cuts, found.duration, crop_w)
            if len(keys) > 1 or abs(keys[0][1] - 0.5) > 1e-3:
                seg.cam = list(keys)
                followed += 1
    return out, followed


def default_analyser(src: Path) -> Analysis | None:
    """The cached analysis of ``src``, made now when there is none; None when it fails
    (the reframe then stays centred: never a failed render for want of analysis)."""
    try:
        return analyse_cached(src)
    except Exception as exc:   # analysis is an extra: log it, render centred
        log.warning("vision.analysis_failed", file=src.name, error=str(exc))
        return None


def follow_subjects(draft: Draft, probes: Mapping[str, Probe]) -> Draft:
    """:func:`attach_paths` with the cached (or freshly made) analysis of each clip."""
    return attach_paths(draft, probes, default_analyser)[0]
