"""The machinery under the rule planner: vocabulary, clauses with consumed spans, plan state.

A :class:`Clause` is one piece of the (masked) instruction. Extractors search it and
``take`` what they understood; what nobody took is reported back to the user as
not understood (:meth:`Clause.leftovers`). The :class:`State` collects what the
clauses asked for and turns it into ops in a fixed, sensible order
(:meth:`State.ops`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...draft import AUDIO, Draft, Segment
from ..ops import (
    TARGET_RATIOS,
    AddMusic,
    AddTitle,
    CaptionsFromFile,
    CutEnds,
    Fade,
    Join,
    Op,
    RemoveTrack,
    SetAspect,
    SetCover,
    SetFit,
    SetFps,
    SetLook,
    SetLoudnorm,
    SetMusic,
    SetOriginalAudio,
    SetSpeed,
    StyleText,
)
from ..ops.draftedit import MediaItem, PlanContext, total_ms, track
from .phrases import SLOT, Masked

DATA = Path(__file__).resolve().parents[2] / "data" / "planner.yaml"
_CONSUMED = "\x1f"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def words(items: list[str]) -> str:
    """An alternation of vocabulary fragments; a Latin fragment never starts or ends inside
    a Latin word ("cool" does not match "coolant"), a Chinese one may touch anything."""
    def guard(item: str) -> str:
        return item if _CJK.search(item) else rf"(?<![a-z])(?:{item})(?![a-z])"

    return "(?:" + "|".join(guard(i) for i in sorted(items, key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class Vocab:
    raw: dict[str, Any]
    fillers_en: frozenset[str]
    fillers_zh: tuple[str, ...]
    filler_edge: re.Pattern[str]

    def group(self, name: str) -> str:
        """A word group of ``groups:``, its fragments joined in order, unguarded."""
        return "(?:" + "|".join(str(w) for w in self.raw["groups"][name]) + ")"

    def re(self, key: str, *sub: str) -> str:
        node: Any = self.raw[key]
        for k in sub:
            node = node[k]
        return words(list(node))


@lru_cache(maxsize=1)
def vocab() -> Vocab:
    """The vocabulary of ``skill/data/planner.yaml`` (loaded once per process)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present: ~10x faster
    raw = yaml.load(DATA.read_text(encoding="utf-8"), Loader=loader)
    en = frozenset(str(w).lower() for w in raw["fillers_en"])
    zh = tuple(sorted((str(w) for w in raw["fillers_zh"]), key=len, reverse=True))
    en_alt = "|".join(re.escape(w) for w in sorted(en, key=len, reverse=True))
    zh_alt = "|".join(re.escape(w) for w in zh)
    edge = re.compile(rf"(?:(?<![a-z'])(?:{en_alt})(?![a-z'])|{zh_alt}|[\s\W_]+)", re.IGNORECASE)
    return Vocab(raw, en, zh, edge)


@lru_cache(maxsize=512)
def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


class Clause:
    """One clause of the masked instruction; consumed characters are blanked out."""

    def __init__(self, text: str, masked: Masked) -> None:
        self.text = text
        self.work = text
        self.masked = masked
        self.taken = 0
        self.topic: str | None = None

    def search(self, pattern: str) -> re.Match[str] | None:
        return rx(pattern).search(self.work)

    def finditer(self, pattern: str) -> list[re.Match[str]]:
        return list(rx(pattern).finditer(self.work))

    def has(self, pattern: str) -> bool:
        return self.search(pattern) is not None

    def take(self, match: re.Match[str] | tuple[int, int] | None, group: int | str = 0) -> None:
        """Mark a match (or a span) as understood."""
        if match is None:
            return
        a, b = match if isinstance(match, tuple) else match.span(group)
        if b > a:
            self.work = self.work[:a] + _CONSUMED * (b - a) + self.work[b:]
            self.taken += 1

    def grab(self, pattern: str) -> re.Match[str] | None:
        """Search and take in one step."""
        m = self.search(pattern)
        self.take(m)
        return m

    def save(self) -> tuple[str, int]:
        return self.work, self.taken

    def restore(self, saved: tuple[str, int]) -> None:
        self.work, self.taken = saved

    def grab_all(self, pattern: str) -> int:
        """Take every match; returns how many."""
        found = self.finditer(pattern)
        for m in found:
            self.take(m)
        return len(found)

    def slots(self, kinds: tuple[str, ...] = ("quote", "title", "lines")) -> list[int]:
        """Untaken data slots of this clause, of the given kinds."""
        return [int(m.group(1)) for m in SLOT.finditer(self.work)
                if self.masked.kinds[int(m.group(1))] in kinds]

    def take_slot(self, slot: int) -> None:
        marker = f"\ue000{slot}\ue001"
        pos = self.work.find(marker)
        if pos >= 0:
            self.take((pos, pos + len(marker)))

    def leftovers(self) -> list[str]:
        """What nobody understood, in the user's words (empty when only filler words remain)."""
        v = vocab()
        runs = [r for r in self.work.split(_CONSUMED) if r.strip()]
        found: list[str] = []
        for run in runs:
            if not _has_content(run, v):
                continue
            if self.taken:
                run = _trim_edges(run, v)
            else:
                run = re.sub(r"^(?:\s|and\b|then\b|also\b|plus\b|please\b|然后|然後|再)+", "", run,
                             flags=re.IGNORECASE)
            text = self.masked.unmask(run).strip(" \t,，.。;；:：!！?？、")
            if text:
                found.append(text)
        return found


def _has_content(run: str, v: Vocab) -> bool:
    if SLOT.search(run):
        return True
    text = run
    for w in v.fillers_zh:
        text = text.replace(w, " ")
    latin = [w for w in re.findall(r"[a-z0-9][a-z0-9'’-]*", text.lower())
             if w not in v.fillers_en and (len(w) > 1 or w.isdigit())]
    return bool(latin) or len(_CJK.findall(text)) >= 2


def _trim_edges(run: str, v: Vocab) -> str:
    while True:
        m = v.filler_edge.match(run)
        if not m or not m.group(0):
            break
        run = run[m.end():]
    while True:
        m = re.search(rf"(?:{v.filler_edge.pattern})$", run, re.IGNORECASE)
        if not m or not m.group(0):
            break
        run = run[:m.start()]
    return run


@dataclass
class Env:
    """What extractors may read: the draft before the instruction, the media, the masks."""

    draft: Draft
    ctx: PlanContext
    masked: Masked

    @property
    def total(self) -> int:
        return total_ms(self.draft)

    def audio(self) -> list[MediaItem]:
        return [m for m in self.ctx.media if m.kind == "audio"]

    def captions(self) -> list[MediaItem]:
        return [m for m in self.ctx.media if m.kind == "caption"]

    @property
    def fit(self) -> str:
        return self.draft.fit or "crop"

    @property
    def has_music(self) -> bool:
        return self.music_segment() is not None

    def music_segment(self) -> Segment | None:
        """The (first) segment of the music track, if there is music."""
        bgm = track(self.draft, AUDIO, "bgm")
        return bgm.segments[0] if bgm is not None and bgm.segments else None


@dataclass
class State:
    """Everything the instruction asked for so far; :meth:`ops` orders it."""

    join: str | None = None
    trims: list[Op] = field(default_factory=list)
    trim_verb: str | None = None            # "cut" / "keep": carried to a verb-less next clause
    pending_cut: tuple[Clause, tuple[int, int], str] | None = None   # "cut the ending" (no time yet)
    speed: float | None = None
    ratio: str | None = None
    target: str | None = None               # an Instagram target named: reels, stories, feed, square
    fit: str | None = None
    look: str | None = None
    look_dropped: list[str] = field(default_factory=list)   # look parts a later one replaced
    fades: dict[str, dict[str, int]] = field(default_factory=dict)
    original: int | None = None
    overall: str | None = None              # "down" / "up": "make it quieter" (no track named)
    notes: list[str] = field(default_factory=list)   # template keys of side remarks
    removals: list[str] = field(default_factory=list)
    music_source: dict[str, Any] | None = None
    music: dict[str, Any] = field(default_factory=dict)
    loudnorm: bool | None = None
    titles: list[AddTitle] = field(default_factory=list)
    captions: list[Op] = field(default_factory=list)
    cover: int | None = None
    styles: dict[str, dict[str, Any]] = field(default_factory=dict)   # style_text by what
    fps: int | None = None
    prev_topic: str | None = None
    vision: dict[str, Any] = field(default_factory=dict)   # see rules_vision
    goal: dict[str, Any] = field(default_factory=dict)     # see rules_instagram

    def fade(self, target: str, which: str, ms: int) -> None:
        self.fades.setdefault(target, {})[which] = ms

    def ops(self, env: Env) -> list[Op]:
        out: list[Op] = []
        if self.join:
            out.append(Join(self.join))
        out.extend(_merge_cuts(self.trims))
        if self.speed is not None:
            out.append(SetSpeed(self.speed))
        if self.ratio:   # a ratio said after the target wins over the target's shape
            target = self.target if self.target and self.ratio in TARGET_RATIOS[self.target] \
                else None
            out.append(SetAspect(self.ratio, self.fit or env.fit, target))
        elif self.fit:
            out.append(SetFit(self.fit))
        if self.look:
            out.append(SetLook(self.look))
        for target in ("both", "video", "audio"):
            f = self.fades.get(target)
            if f:
                out.append(Fade(target, f.get("in"), f.get("out")))
        if self.original is None and self.overall is not None:
            self._overall(env)
        if self.original is not None:
            out.append(SetOriginalAudio(self.original))
        out.extend(RemoveTrack(what) for what in dict.fromkeys(self.removals))
        out.extend(self._music_ops(env))
        if self.loudnorm is not None:
            out.append(SetLoudnorm(self.loudnorm))
        out.extend(self.titles)
        out.extend(self.captions)
        out.extend(StyleText(what, **style) for what, style in self.styles.items())
        if self.fps is not None:
            out.append(SetFps(self.fps))
        if self.cover is not None:
            out.append(SetCover(self.cover))
        return out

    def _overall(self, env: Env) -> None:
        """"Make it quieter/louder" with no track named. Loudness normalisation (on by
        default) sets the level of the whole mix, so then nothing changes and the reply
        says how to change the balance instead; without it, every sound scales."""
        loudnorm = self.loudnorm if self.loudnorm is not None else \
            env.draft.loudnorm is not False
        if loudnorm:
            self.notes.append("plan_note_overall_volume")
            return
        factor = 0.5 if self.overall == "down" else 1.5
        self.original = round(100 * factor)
        if (env.has_music or self.music_source is not None) and "volume_pct" not in self.music:
            seg = env.music_segment()
            current = seg.volume if seg is not None and seg.volume is not None else 0.3
            pct = current * 100 if current <= 2 else 30
            self.music["volume_pct"] = max(0, min(200, round(pct * factor)))

    def _music_ops(self, env: Env) -> list[Op]:
        settings = {k: v for k, v in self.music.items() if v is not None}
        source = self.music_source
        if source is None and not settings:
            return []
        removing = "music" in self.removals
        if source is None and env.has_music and not removing:
            return [SetMusic(**settings)]
        if source is None or source.get("default"):
            source = default_music(env)
        return [AddMusic(**source, **settings)]


def _merge_cuts(trims: list[Op]) -> list[Op]:
    """'cut the first 2 s and the last 3 s' → one CutEnds(2000, 3000)."""
    out: list[Op] = []
    for op in trims:
        prev = out[-1] if out else None
        if isinstance(op, CutEnds) and isinstance(prev, CutEnds):
            out[-1] = CutEnds(prev.head_ms + op.head_ms, prev.tail_ms + op.tail_ms)
        else:
            out.append(op)
    return out


def default_music(env: Env) -> dict[str, Any]:
    """'Add music' with no mood: the newest uploaded song, else the current mood, else lo-fi."""
    audio = env.audio()
    if audio:
        return {"file": audio[-1].name}
    seg = env.music_segment()
    mood = seg.mood if seg is not None else None
    return {"mood": mood if mood is not None else "lofi"}


def caption_file_op(env: Env, name: str | None = None) -> CaptionsFromFile | None:
    items = env.captions()
    if name:
        return CaptionsFromFile(name)
    return CaptionsFromFile(items[-1].name) if items else None
