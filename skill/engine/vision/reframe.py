"""Subject-aware reframe at render time: give each cropped video segment of a draft its
camera path (``m.cam``: keyframes in source seconds), from the clip's analysis.

Only a crop that cuts the sides off (landscape → 9:16, 4:5, 1:1) follows the subject;
``m.reframe == "center"`` (the user said "keep it centred") or a clip in which no
subject is found keeps the centre crop. The render turns ``m.cam`` into a time-varying
``crop`` in the same single ffmpeg pass (:func:`.camera.crop_x_expr`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import structlog

from ...draft import VIDEO
from ..render.filtergraph import canvas
from ..render.probe import Probe
from .analysis import Analysis, analyse_cached
from .camera import plan_path

log = structlog.get_logger(__name__)
Analyser = Callable[[Path], Analysis | None]

#: draft ``m.reframe`` values
FOLLOW, CENTER = "subject", "center"


def crop_width(src_w: float, src_h: float, out_w: int, out_h: int) -> float:
    """Share of the source width a crop to the canvas's shape keeps (1 = all of it)."""
    if src_w <= 0 or src_h <= 0:
        return 1.0
    return min(1.0, (src_h * out_w / out_h) / src_w)


def wants_tracking(meta: Mapping[str, Any]) -> bool:
    fit = str(meta.get("fit") or "crop").lower()
    return fit == "crop" and str(meta.get("reframe") or FOLLOW).lower() != CENTER


def attach_paths(draft: dict[str, Any], probes: Mapping[str, Probe],
                 analyser: Analyser) -> tuple[dict[str, Any], int]:
    """A copy of ``draft`` whose cropped video segments carry ``m.cam``, and how many do.
    ``analyser`` gives a clip's analysis (None: none to be had). Pure but for it."""
    meta = draft.get("m") if isinstance(draft.get("m"), dict) else {}
    if not isinstance(meta, dict) or not wants_tracking(meta):
        return draft, 0
    out_w, out_h = canvas(meta)
    out = copy.deepcopy(draft)
    followed = 0
    for track in out.get("t") or []:
        if not isinstance(track, dict) or track.get("tt") != VIDEO:
            continue
        for seg in track.get("sg") or []:
            m = seg.get("m") if isinstance(seg, dict) else None
            if not isinstance(m, dict) or m.get("kind") == "image":
                continue
            pr = probes.get(str(m.get("src") or ""))
            if pr is None or pr.is_image or not pr.has_video:
                continue
            crop_w = crop_width(pr.width * (pr.sar or 1.0), pr.height, out_w, out_h)
            if crop_w >= 0.98:
                continue
            found = analyser(Path(str(m["src"])))
            if found is None or not found.has_subject:
                continue
            keys = plan_path(found.subjects, found.cuts, found.duration, crop_w)
            if len(keys) > 1 or abs(keys[0][1] - 0.5) > 1e-3:
                m["cam"] = [[t, x] for t, x in keys]
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


def follow_subjects(draft: dict[str, Any], probes: Mapping[str, Probe]) -> dict[str, Any]:
    """:func:`attach_paths` with the cached (or freshly made) analysis of each clip."""
    return attach_paths(draft, probes, default_analyser)[0]
