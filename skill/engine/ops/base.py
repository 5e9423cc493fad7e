"""Typed edit operations on the draft: one small frozen dataclass per edit, one ``apply``.

Every op has a ``tool`` name (also its ADK ``functionCall`` name and its Claude tool
name), a JSON ``schema`` for its arguments, ``apply(draft, ctx)`` returning a **new**
draft (the input is never mutated), ``describe(lang)`` saying exactly what was applied
(rendered from ``prompts/<lang>/planner.j2``) and ``args()`` (JSON-able).

    set_aspect  set_fit  trim  cut_ends  cut_range  set_speed  join
    add_music  set_music  set_original_audio  fade  set_look  set_loudnorm
    add_title  add_captions  captions_from_file  set_cover  remove_track

Ops work on the typed draft (:class:`skill.draft.Draft`, one attribute per key of
``docs/draft.md``); times are ms, volumes are given as percent in args and stored as
linear gains in the draft.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ...draft import CANVAS, Draft
from ...errors import InputError
from ...templates import render
from .draftedit import (
    MediaItem,
    PlanContext,
    add_media,
    initial_draft,
    set_canvas,
    settle,
    total_ms,
    video_segments,
)
from .looks import valid_looks
from .schema import check, jsonable

__all__ = [
    "OPS", "MOODS", "TARGET_RATIOS", "MediaItem", "PlanContext", "Op", "add_media", "initial_draft",
    "op_from_call", "tool_definitions", "list_ops", "secs",
    "SetAspect", "SetFit", "SetLook", "Fade", "SetLoudnorm", "SetCover",
]

#: Instagram targets by name and the ratios that fit them (the first is the default)
TARGET_RATIOS: dict[str, tuple[str, ...]] = {
    "reels": ("9:16",), "stories": ("9:16",), "feed": ("4:5", "1:1"), "square": ("1:1",),
}
MOODS: dict[str, str] = {"lofi": "Lo-fi", "chill": "Chill", "upbeat": "Upbeat",
                         "cinematic": "Cinematic"}
MAX_FADE_MS = 30_000
MAX_TEXT = 500

OPS: dict[str, type[Op]] = {}


def secs(ms: int | None) -> str:
    """Milliseconds as seconds for a reply: ``2500`` → ``"2.5"``, ``3000`` → ``"3"``."""
    value = (ms or 0) / 1000
    return f"{value:.1f}".rstrip("0").rstrip(".") if round(value, 1) % 1 else str(round(value))


def obj_schema(props: dict[str, Any], *required: str) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


MS_ARG: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 24 * 3600 * 1000}
FADE_ARG: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": MAX_FADE_MS}
PCT_ARG: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 200}
POSITION_ARG: dict[str, Any] = {"type": "string", "enum": ["top", "center", "bottom"]}


@dataclass(frozen=True)
class Op:
    """Base of all operations; subclasses set the class variables and ``_edit``."""

    tool: ClassVar[str] = ""
    summary: ClassVar[str] = ""                  # the tool description Claude reads
    schema: ClassVar[dict[str, Any]] = obj_schema({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.tool:
            OPS[cls.tool] = cls

    def apply(self, draft: Draft, ctx: PlanContext) -> Draft:
        """A new draft with this edit applied (the input is left untouched)."""
        out = draft.copy()
        self.validate()   # whoever built the op (rules, Claude, a test), never a bad edit
        self._edit(out, ctx)
        return settle(out)

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        raise NotImplementedError

    def args(self) -> dict[str, Any]:
        """The op's arguments as JSON (``None`` fields left out): the ADK functionCall args."""
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}

    def view(self) -> dict[str, Any]:
        """Template context for :meth:`describe` (args plus formatted values)."""
        return self.args()

    def describe(self, lang: str = "en") -> str:
        """What this op did, in the user's language."""
        return render(f"plan_op_{self.tool}", lang, **self.view())

    def validate(self) -> None:
        """Cross-field checks beyond the schema (raise :class:`InputError`)."""

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON schema of this op's arguments (a copy: callers may change it)."""
        return copy.deepcopy(cls.schema)

    @classmethod
    def from_args(cls, args: dict[str, Any]) -> Op:
        values = check(cls.schema, args, cls.tool)
        op = cls(**values)
        op.validate()
        return op


def op_from_call(name: str, args: dict[str, Any] | None) -> Op:
    """The op for a tool call ``name(args)``; :class:`InputError` when unknown or invalid."""
    cls = OPS.get(name)
    if cls is None:
        raise InputError(f"unknown operation {name!r}", key="plan_bad_call", field=name,
                         problem="unknown operation")
    return cls.from_args(dict(args or {}))


def list_ops() -> list[dict[str, Any]]:
    """Every registered op: ``name``, a one-line ``description`` and its argument
    ``schema`` (JSON schema), in registration order — what a host is shown."""
    return [{"name": c.tool, "description": c.summary, "schema": c.json_schema()}
            for c in OPS.values()]


def tool_definitions() -> list[dict[str, Any]]:
    """Anthropic tool definitions (name, description, input_schema), one per op."""
    return [{"name": c.tool, "description": c.summary, "input_schema": c.schema}
            for c in OPS.values()]


def need_video(draft: Draft) -> int:
    total = total_ms(draft)
    if not video_segments(draft):
        raise InputError("no video on the timeline", key="timeline_empty")
    return total


# ---------------------------------------------------------------- canvas & look

@dataclass(frozen=True)
class SetAspect(Op):
    ratio: str
    fit: str | None = None
    target: str | None = None

    tool = "set_aspect"
    summary = ("Reframe the video to an Instagram aspect ratio. fit=crop fills the frame with "
               "a centre crop; fit=blur keeps the whole picture over a blurred background "
               "(use it when the user does not want anything cut off). target names the "
               "Instagram placement when the user did (reels, stories: 9:16; feed: 4:5 or "
               "1:1; square: 1:1); titles and captions then keep to its safe zones.")
    schema = obj_schema({"ratio": {"type": "string", "enum": list(CANVAS)},
                   "fit": {"type": "string", "enum": ["crop", "blur"]},
                   "target": {"type": "string", "enum": list(TARGET_RATIOS)}}, "ratio")

    def validate(self) -> None:
        if self.target and self.ratio not in TARGET_RATIOS[self.target]:
            raise InputError("ratio does not fit the target", key="plan_bad_call", field="ratio",
                             problem=f"must be {' or '.join(TARGET_RATIOS[self.target])} "
                                     f"for {self.target}")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        set_canvas(draft, self.ratio)
        if self.fit:
            draft.fit = self.fit
        if draft.fit is None:
            draft.fit = "crop"
        # a shape made for a named target; another reframe forgets it
        draft.target = self.target or None

    def view(self) -> dict[str, Any]:
        w, h = CANVAS[self.ratio]
        return {**self.args(), "w": w, "h": h}


@dataclass(frozen=True)
class SetFit(Op):
    fit: str

    tool = "set_fit"
    summary = ("Keep the aspect ratio but change how the footage fills it: crop (centre "
               "crop-to-fill) or blur (whole picture over a blurred copy, nothing cut off).")
    schema = obj_schema({"fit": {"type": "string", "enum": ["crop", "blur"]}}, "fit")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.fit = self.fit


@dataclass(frozen=True)
class SetLook(Op):
    look: str

    tool = "set_look"
    summary = ("Colour look of the whole video: warm, cool, bw (black & white), vivid, "
               "bright (lifts dark footage), or none; looks combine with + "
               "(vivid+bright+warm: at most one of warm/cool/bw).")
    schema = obj_schema({"look": {"type": "string", "enum": valid_looks()}}, "look")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.look = None if self.look == "none" else self.look


@dataclass(frozen=True)
class Fade(Op):
    target: str = "both"
    in_ms: int | None = None
    out_ms: int | None = None

    tool = "fade"
    summary = ("Fade the whole video from/to black (target=video), the final audio mix "
               "(target=audio) or both, at the start (in_ms) and/or the end (out_ms); 0 removes "
               "a fade. For fading only the music use set_music.")
    schema = obj_schema({"target": {"type": "string", "enum": ["video", "audio", "both"]},
                   "in_ms": FADE_ARG, "out_ms": FADE_ARG})

    def validate(self) -> None:
        if self.in_ms is None and self.out_ms is None:
            raise InputError("fade needs in_ms or out_ms", key="plan_bad_call", field="fade",
                             problem="needs in_ms or out_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        chosen = {"video": [draft.video_fade], "audio": [draft.audio_fade],
                  "both": [draft.video_fade, draft.audio_fade]}[self.target]
        for fades in chosen:
            if self.in_ms is not None:
                fades.in_ms = self.in_ms
            if self.out_ms is not None:
                fades.out_ms = self.out_ms

    def view(self) -> dict[str, Any]:
        return {**self.args(), "in_s": secs(self.in_ms), "out_s": secs(self.out_ms)}


@dataclass(frozen=True)
class SetLoudnorm(Op):
    enabled: bool

    tool = "set_loudnorm"
    summary = "Turn loudness normalisation of the final mix (-14 LUFS, -1 dBTP) on or off."
    schema = obj_schema({"enabled": {"type": "boolean"}}, "enabled")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.loudnorm = self.enabled


@dataclass(frozen=True)
class SetCover(Op):
    at_ms: int

    tool = "set_cover"
    summary = "Use the frame at this timeline time (ms) as the cover image."
    schema = obj_schema({"at_ms": MS_ARG}, "at_ms")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        draft.cover_ms = max(0, min(self.at_ms, total - 1))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "at_s": secs(self.at_ms)}
