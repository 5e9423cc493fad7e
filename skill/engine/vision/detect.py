"""Pure per-frame analysis: frames (numpy planes) in, facts out. No I/O, no ffmpeg.

* :class:`FrameScanner` is fed one decoded YUV 4:2:0 frame after another (the analysis
  grid: 30 fps, ~480 px wide) and collects scene-cut scores, visual activity and, on
  every :data:`SUBJECT_EVERY`-th frame, the subjects: faces first (OpenCV's Haar cascade,
  which ships inside the ``opencv-python-headless`` wheel), else the most salient motion.
* :func:`find_cuts` turns the per-frame difference scores into scene boundaries.

Boxes are normalised to the frame (0–1) so an analysis made on the half-size proxy
applies to the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

#: analysis grid: every frame for cuts and activity; subjects 3 times a second (the
#: face detector is most of the analysis time)
FPS = 30
SUBJECT_EVERY = 10
#: a frame-to-frame difference (0–255, mean over Y/U/V) this large is a cut candidate
CUT_MIN = 28.0
#: … and it must be this many times the typical difference around it
CUT_RATIO = 4.0
MIN_SCENE_S = 0.5
#: a pixel whose luma changed this much over the last frames counts as moving
MOTION_LEVEL = 18
#: least share of moving pixels that makes a "motion subject"
MOTION_MIN_SHARE = 0.004


@dataclass(frozen=True)
class Box:
    """A subject in one frame: normalised corners, a weight (bigger = more important)
    and its kind (``face`` or ``motion``)."""

    x0: float
    y0: float
    x1: float
    y1: float
    weight: float
    kind: str = "face"

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    def as_list(self) -> list[Any]:
        return [round(self.x0, 4), round(self.y0, 4), round(self.x1, 4), round(self.y1, 4),
                round(self.weight, 4), self.kind]

    @staticmethod
    def from_list(raw: list[Any]) -> Box:
        return Box(float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]),
                   float(raw[4]), str(raw[5]))


#: the face model: OpenCV's frontal-face Haar cascade, shipped inside its wheel
CASCADE = "haarcascade_frontalface_default.xml"


def cascade_path() -> str:
    """Where the installed OpenCV keeps the face model (imports cv2: ~0.4 s)."""
    import os

    import cv2

    return os.path.join(cv2.data.haarcascades, CASCADE)  # type: ignore[attr-defined]


def describe() -> str:
    """One line for ``igedit doctor``: the detectors in use and their model file, or what
    is missing (then a reframe stays centred and highlights use activity and sound)."""
    import os
    from importlib import metadata

    try:
        import cv2
    except ImportError as exc:
        return f"none ({exc}: pip install opencv-python-headless; reframes stay centred)"
    wheel = f"OpenCV {cv2.__version__}"
    for dist in ("opencv-python-headless", "opencv-python", "opencv-contrib-python",
                 "opencv-contrib-python-headless"):
        try:
            wheel = f"{dist} {metadata.version(dist)}"
            break
        except metadata.PackageNotFoundError:
            continue
    path = cascade_path()
    if not os.path.isfile(path):
        return f"motion only (the face model {CASCADE} is missing from {wheel})"
    size = os.path.getsize(path) // 1024
    return (f"faces: Haar cascade {CASCADE} ({size} KB, {wheel}, {path}), then motion; "
            "scenes and activity: frame differences")


@lru_cache(maxsize=1)
def _cascade() -> Any:
    import cv2  # lazy: ~0.4 s to import, only analysis needs it

    path = cascade_path()
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():   # pragma: no cover - a broken opencv install
        raise RuntimeError(f"OpenCV could not load its face model {path}")
    return cascade


def detect_faces(luma: np.ndarray) -> list[Box]:
    """Faces in one luma plane (uint8, H×W), largest first."""
    h, w = luma.shape
    found = _cascade().detectMultiScale(luma, scaleFactor=1.15, minNeighbors=5,
                                        minSize=(max(20, w // 40), max(20, w // 40)))
    boxes = [Box.from_list(Box(x / w, y / h, (x + bw) / w, (y + bh) / h,
                               (bw * bh) / (w * h)).as_list())   # rounded as cached
             for x, y, bw, bh in (tuple(int(v) for v in f) for f in found)]
    return sorted(boxes, key=lambda b: -b.weight)


def motion_box(moving: np.ndarray) -> Box | None:
    """The box around the bulk of the moving pixels (boolean mask), or None when too
    little moves. The 10th–90th percentiles of their columns/rows, so a stray speck
    elsewhere does not stretch it."""
    share = float(moving.mean())
    if share < MOTION_MIN_SHARE:
        return None
    ys, xs = np.nonzero(moving)
    h, w = moving.shape
    x0, x1 = np.percentile(xs, [10, 90])
    y0, y1 = np.percentile(ys, [10, 90])
    return Box.from_list(Box(float(x0) / w, float(y0) / h, float(x1 + 1) / w,
                             float(y1 + 1) / h, share, "motion").as_list())


@dataclass
class FrameScanner:
    """Accumulates what :mod:`.analysis` stores, one frame at a time."""

    width: int
    height: int
    faces: bool = True
    diffs: list[float] = field(default_factory=list)       # per frame (0 for the first)
    activity: list[float] = field(default_factory=list)    # per frame, luma change only
    subjects: list[tuple[float, list[Box]]] = field(default_factory=list)
    _prev: np.ndarray | None = None
    _prev_small: np.ndarray | None = None
    _motion: np.ndarray | None = None
    _n: int = 0

    def feed(self, frame: bytes | np.ndarray) -> None:
        w, h = self.width, self.height
        buf = np.frombuffer(frame, np.uint8) if isinstance(frame, bytes) else frame.ravel()
        y = buf[: w * h].reshape(h, w)
        cw, ch = w // 2, h // 2
        u = buf[w * h: w * h + cw * ch].reshape(ch, cw)
        v = buf[w * h + cw * ch: w * h + 2 * cw * ch].reshape(ch, cw)
        small = np.concatenate([y[::4, ::4].ravel(), u[::2, ::2].ravel(), v[::2, ::2].ravel()]
                               ).astype(np.int16)
        if self._prev_small is None:
            self.diffs.append(0.0)
            self.activity.append(0.0)
        else:
            delta = np.abs(small - self._prev_small)
            self.diffs.append(float(delta.mean()))
            n_y = (h + 3) // 4 * ((w + 3) // 4)
            self.activity.append(float(delta[:n_y].mean()))
        ys = y[::4, ::4].astype(np.int16)
        if self._prev is not None and self._prev.shape == ys.shape:
            moved = np.abs(ys - self._prev) > MOTION_LEVEL
            self._motion = moved if self._motion is None else (self._motion | moved)
        self._prev, self._prev_small = ys, small
        if self._n % SUBJECT_EVERY == 0:
            self.subjects.append((round(self._n / FPS, 3), self._subjects(y)))
            self._motion = None
        self._n += 1

    def _subjects(self, luma: np.ndarray) -> list[Box]:
        boxes = detect_faces(luma) if self.faces else []
        if boxes:
            return boxes[:4]
        if self._motion is not None:
            box = motion_box(self._motion)
            if box is not None:
                return [box]
        return []


def find_cuts(diffs: list[float], fps: int = FPS) -> list[float]:
    """Scene boundaries (seconds) from per-frame difference scores: a spike well above
    both :data:`CUT_MIN` and the median around it, at least :data:`MIN_SCENE_S` apart."""
    arr = np.asarray(diffs, dtype=np.float64)
    cuts: list[float] = []
    last = -MIN_SCENE_S * fps
    for i in range(1, len(arr)):
        score = arr[i]
        if score < CUT_MIN:
            continue
        lo, hi = max(1, i - fps // 2), min(len(arr), i + fps // 2 + 1)
        around = np.delete(arr[lo:hi], i - lo)
        typical = float(np.median(around)) if around.size else 0.0
        if score >= CUT_RATIO * max(typical, 2.0) and i - last >= MIN_SCENE_S * fps:
            cuts.append(i / fps)
            last = i
    return cuts


def per_second(values: list[float], fps: int = FPS) -> list[float]:
    """Mean of ``values`` over each whole or partial second."""
    arr = np.asarray(values, dtype=np.float64)
    return [round(float(arr[i: i + fps].mean()), 3) for i in range(0, len(arr), fps)]
