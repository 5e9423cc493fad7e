"""Typed edit operations on the draft (see :mod:`.base` for the contract every op keeps).

Importing the package registers every op family in :data:`OPS`: ``base`` holds the
``Op`` class, the registry and the canvas/look ops; ``timeline``, ``audio`` and ``text``
hold one family each. A new family is a new module here plus one import line below.
"""

from __future__ import annotations

from .audio import AddMusic, RemoveTrack, SetMusic, SetOriginalAudio
from .base import (
    MOODS,
    OPS,
    TARGET_RATIOS,
    Fade,
    MediaItem,
    Op,
    PlanContext,
    SetAspect,
    SetCover,
    SetFit,
    SetLook,
    SetLoudnorm,
    add_media,
    initial_draft,
    list_ops,
    op_from_call,
    secs,
    tool_definitions,
)
from .formats import SetFormats
from .scenes import SceneAbout
from .speech import (
    AutoCaptions,
    CaptionFix,
    CaptionsSrt,
    CutPhrase,
    KeepPhrase,
    RemoveFillers,
    RemoveSilences,
)
from .style import SetFps, StyleText
from .text import AddCaptions, AddTitle, CaptionsFromFile
from .timeline import CutEnds, CutRange, Join, SetSpeed, Trim
from .vision import AddTransitions, CutToBeat, KeepScene, MakeHighlight, RemoveScene, SetReframe

__all__ = [
    "OPS", "MOODS", "TARGET_RATIOS", "MediaItem", "PlanContext", "Op", "add_media", "initial_draft",
    "op_from_call", "tool_definitions", "list_ops", "secs",
    "SetAspect", "SetFit", "SetLook", "Fade", "SetLoudnorm", "SetCover",
    "Trim", "CutEnds", "CutRange", "SetSpeed", "Join",
    "AddMusic", "SetMusic", "SetOriginalAudio", "RemoveTrack",
    "AddTitle", "AddCaptions", "CaptionsFromFile", "StyleText", "SetFps",
    "RemoveSilences", "RemoveFillers", "CutPhrase", "KeepPhrase", "AutoCaptions", "CaptionFix",
    "CaptionsSrt", "SetFormats", "SetReframe", "AddTransitions", "MakeHighlight", "CutToBeat", "RemoveScene",
    "KeepScene",
    "SceneAbout",
]
