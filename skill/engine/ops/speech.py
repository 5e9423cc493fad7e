"""Ops that listen to the footage (registered in :data:`.ops.OPS` like every op):

    remove_silences  remove_fillers  cut_phrase  keep_phrase  auto_captions  caption_fix

Each reads the speech analysis of the clips on the video track (cached by content:
:mod:`.speech.store`; made on the spot when the background has not finished) and
edits the draft on the timeline with the same helpers as the timeline ops, so
captions, titles and the cover follow the cuts and the music keeps playing across them.
What was removed is recorded on the op for its reply ("removed 14 pauses, 23.5 s").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...draft import TEXT, VIDEO, Draft, Segment
from ...errors import InputError
from ..speech.analysis import (
    LEVELS,
    Analysis,
    Word,
    apply_fixes,
    filler_indices,
    find_phrase,
    fix_pattern,
    pause_cuts,
    sentence_bounds,
    snap,
)
from ..speech.formats import cues
from ..speech.script import to_script
from ..speech.timeline import (
    cuts_map,
    insert_map,
    is_video,
    keep_spans,
    merge,
    rejoin_pauses,
    timeline_cuts,
    timeline_words,
)
from .base import POSITION_ARG, Op, need_video, obj_schema, secs
from .draftedit import (
    PlanContext,
    ensure_track,
    remove_track,
    repack,
    retime,
    track,
    video_segments,
)
from .timeline import _keep

STYLES = ("clean", "bold", "boxed", "word")
#: air kept around a cut word so its neighbours are not clipped
WORD_MARGIN_MS = 40


def analyses(draft: Draft) -> dict[str, Analysis]:
    """The speech analysis of every video clip on the timeline (by source path)."""
    from ...store import default_home
    from ..speech.store import get

    out: dict[str, Analysis] = {}
    for seg in video_segments(draft):
        src = seg.src or ""
        if not is_video(seg) or not src or src in out:
            continue
        if not Path(src).is_file():
            raise InputError(f"{Path(src).name}: no such file", key="file_missing", file=Path(src).name)
        out[src] = apply_fixes(get(Path(src), default_home()), fixes(draft))
    if not out:
        raise InputError("no video clip to listen to", key="speech_no_clip")
    return out


def fixes(draft: Draft) -> list[tuple[str, str]]:
    """The transcript corrections the user made ("fix the caption: teh → the"), kept in
    the draft (``Draft.speech_fixes``) so undo takes them back with the captions."""
    return list(draft.speech_fixes or [])


def _heard(draft: Draft, pattern: re.Pattern[str]) -> int:
    """How often the ready (cached) transcripts of the timeline's clips say ``pattern``."""
    from ...store import default_home
    from ..speech.store import cached

    count = 0
    for src in {s.src or "" for s in video_segments(draft)}:
        a = cached(Path(src), default_home()) if src and Path(src).is_file() else None
        if a is not None:
            a = apply_fixes(a, fixes(draft))
            count += sum(len(pattern.findall(w.text)) for w in a.words)
    return count


SPEECH_TOOLS = frozenset({"remove_silences", "remove_fillers", "cut_phrase", "keep_phrase",
                          "auto_captions", "scenes_about"})


def listening_note(ops: Sequence[Op], draft: Draft, lang: str) -> str:
    """"Listening to talk.mp4…" when an op is about to transcribe clips that have no
    analysis yet (the background one not finished); empty otherwise."""
    if not any(op.tool in SPEECH_TOOLS for op in ops):
        return ""
    from ...store import default_home
    from ...templates import render
    from ..speech.store import cached

    names = []
    for seg in video_segments(draft):
        src = Path(seg.src or "")
        if is_video(seg) and src.is_file() and src.name not in names \
                and cached(src, default_home()) is None:
            names.append(src.name)
    return render("speech_progress", lang, file=", ".join(names)) + "…" if names else ""


def _words(draft: Draft, what: str) -> list[Word]:
    words = timeline_words(video_segments(draft), analyses(draft))
    if not words:
        raise InputError("no speech heard", key="speech_no_words", what=what)
    return words


def _cut(draft: Draft, cuts: list[tuple[int, int]]) -> int:
    """Remove the timeline spans ``cuts``; returns the ms removed."""
    total = need_video(draft)
    cuts = merge([(max(0, snap(a)), min(total, snap(b))) for a, b in cuts])
    cuts = [(a, b) for a, b in cuts if b > a]
    removed = sum(b - a for a, b in cuts)
    if not cuts:
        return 0
    if total - removed < 100:
        raise InputError("nothing left after the cut", key="plan_trim_empty",
                         start="0", end=secs(total), total=secs(total))
    _keep(draft, keep_spans(total, cuts), cuts_map(cuts))
    return removed


def _record(op: Op, **stats: Any) -> None:
    object.__setattr__(op, "_stats", stats)   # read by view() for the reply


def _stats(op: Op) -> dict[str, Any]:
    return dict(getattr(op, "_stats", {}) or {})


def _around(words: list[Word], first: int, last: int) -> tuple[int, int]:
    """The span of words[first..last] with a little air, never into a neighbour."""
    lo = words[first].start_ms - WORD_MARGIN_MS
    hi = words[last].end_ms + WORD_MARGIN_MS
    if first > 0:
        lo = max(lo, words[first - 1].end_ms)
    if last + 1 < len(words):
        hi = min(hi, words[last + 1].start_ms)
    return max(0, lo), hi


def _restore_pauses(draft: Draft, found: dict[str, Analysis]) -> None:
    """Put back the pauses an earlier "remove the silences" cut (see :func:`rejoin_pauses`),
    moving captions, titles and the cover with the time put back."""
    vt = track(draft, VIDEO)
    if vt is None:
        return
    segs, inserts = rejoin_pauses(vt.segments, found)
    if not inserts:
        return
    vt.segments = segs
    repack(draft)
    retime(draft, insert_map(inserts))


@dataclass(frozen=True)
class RemoveSilences(Op):
    level: str = "normal"

    tool = "remove_silences"
    summary = ("Cut every pause without speech (jump cut), keeping a margin so no word is "
               "clipped; level tight/normal/loose sets how short a pause is cut.")
    schema = obj_schema({"level": {"type": "string", "enum": list(LEVELS)}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        level = LEVELS[self.level]
        found = analyses(draft)
        _restore_pauses(draft, found)   # "looser" re-derives the cut from the clip's pauses
        cuts = timeline_cuts(video_segments(draft), found,
                             lambda a, lo, hi: pause_cuts(a, level, lo, hi))
        removed = _cut(draft, cuts)
        _record(self, count=len(cuts) if removed else 0, removed_s=secs(removed))

    def view(self) -> dict[str, Any]:
        return {**self.args(), "level": self.level, **_stats(self)}


@dataclass(frozen=True)
class RemoveFillers(Op):
    tool = "remove_fillers"
    summary = ("Cut filler words (um, uh, er; 'like'/'you know' and 嗯 呃 啊 那个 就是 only "
               "where used as filler) on word boundaries.")
    schema = obj_schema({})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        words = _words(draft, "remove" if ctx.lang != "zh" else "去掉")
        idx = filler_indices(words)
        cuts = [_around(words, i, i) for i in idx]
        removed = _cut(draft, cuts)
        said = list(dict.fromkeys(words[i].text.strip(",.，。 ").lower() for i in idx))
        _record(self, count=len(idx), removed_s=secs(removed), words=", ".join(said))

    def view(self) -> dict[str, Any]:
        return {**self.args(), **_stats(self)}


@dataclass(frozen=True)
class CutPhrase(Op):
    phrase: str
    sentence: bool = False

    tool = "cut_phrase"
    summary = ("Cut where the speaker says `phrase` (the user's quoted words); with "
               "sentence=true the whole sentence around it.")
    schema = obj_schema({"phrase": {"type": "string", "minLength": 1, "maxLength": 300},
                         "sentence": {"type": "boolean"}}, "phrase")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        words = _words(draft, "cut")
        found = find_phrase(words, self.phrase)
        if found is None:
            raise InputError("phrase not heard", key="speech_phrase_missing", phrase=self.phrase)
        first, last = found
        if self.sentence:
            first, last = sentence_bounds(words, first)[0], sentence_bounds(words, last)[1]
        lo, hi = _around(words, first, last)
        _cut(draft, [(lo, hi)])
        heard = " ".join(w.text for w in words[first:last + 1])
        _record(self, heard=heard, start_s=secs(lo), end_s=secs(hi))

    def view(self) -> dict[str, Any]:
        return {**self.args(), **_stats(self)}


@dataclass(frozen=True)
class KeepPhrase(Op):
    phrase: str
    mode: str = "about"

    tool = "keep_phrase"
    summary = ("Keep only part of the speech: mode 'from' keeps from where `phrase` is said "
               "to the end; 'about' keeps the sentences that mention it.")
    schema = obj_schema({"phrase": {"type": "string", "minLength": 1, "maxLength": 300},
                         "mode": {"type": "string", "enum": ["about", "from"]}}, "phrase")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        total = need_video(draft)
        words = _words(draft, "keep")
        found = find_phrase(words, self.phrase)
        if found is None:
            raise InputError("phrase not heard", key="speech_phrase_missing", phrase=self.phrase)
        if self.mode == "from":
            lo = _around(words, found[0], found[0])[0]
            keep = [(lo, total)]
        else:
            keep, at = [], 0
            while (hit := find_phrase(words[at:], self.phrase)) is not None:
                first = sentence_bounds(words, at + hit[0])[0]
                last = sentence_bounds(words, at + hit[1])[1]
                keep.append(_around(words, first, last))
                at = last + 1
            keep = merge(keep)
        cuts = keep_spans(total, keep)
        _cut(draft, cuts)
        _record(self, start_s=secs(keep[0][0]), end_s=secs(keep[-1][1]))

    def view(self) -> dict[str, Any]:
        return {**self.args(), **_stats(self)}


def _caption(start_ms: int, dur_ms: int, text: str, position: str, style: str) -> Segment:
    return Segment(start_ms, dur_ms, text=text, position=position, style=style, auto=True)


def _caption_segments(words: list[Word], style: str, position: str) -> list[Segment]:
    """Caption segments for ``words`` (timeline time): one per cue, or for the bold
    style one per word of each cue with that word highlighted (``hl``: its characters
    in the cue's text)."""
    groups = cues(words, one_word=style == "word")
    segs: list[Segment] = []
    for i, cue in enumerate(groups):
        start = cue.start_ms
        end = max(cue.end_ms, start + 300)
        if i + 1 < len(groups):
            end = min(end, groups[i + 1].start_ms)
        end = max(end, start + 1)
        if style != "bold":
            segs.append(_caption(start, end - start, cue.text, position, style))
            continue
        at = 0
        for k, w in enumerate(cue.words):
            pos = cue.text.find(w.text, at)
            w_start = start if k == 0 else w.start_ms
            w_end = end if k + 1 == len(cue.words) else max(w_start + 1, cue.words[k + 1].start_ms)
            seg = _caption(w_start, min(w_end, end) - w_start, cue.text, position, style)
            if pos >= 0:
                seg.hl = (pos, pos + len(w.text))
                at = pos + len(w.text)
            segs.append(seg)
    return [s for s in segs if s.dur_ms > 0]


@dataclass(frozen=True)
class AutoCaptions(Op):
    style: str = "clean"
    position: str = "bottom"
    script: str = "s"

    tool = "auto_captions"
    summary = ("Captions from the speech, timed to the words: style clean, bold (current "
               "word highlighted), boxed, or word (one word at a time). Replaces existing captions.")
    schema = obj_schema({"style": {"type": "string", "enum": list(STYLES)},
                         "position": POSITION_ARG,
                         "script": {"type": "string", "enum": ["s", "t"]}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        need_video(draft)
        found = analyses(draft)
        words = timeline_words(video_segments(draft), found)
        if not words:
            raise InputError("no speech heard", key="speech_no_words",
                             what="caption" if ctx.lang != "zh" else "加字幕")
        if any(a.language == "zh" for a in found.values()):
            words = [Word(w.start_ms, w.end_ms, to_script(w.text, self.script), w.prob) for w in words]
        remove_track(draft, TEXT, "caption")
        ct = ensure_track(draft, TEXT, "caption", "Captions")
        ct.segments = _caption_segments(words, self.style, self.position)
        langs = sorted({a.language for a in found.values() if a.words})
        count = len({(s.text, s.start_ms) for s in ct.segments}) if self.style != "bold" \
            else len(cues(words))
        _record(self, count=count, language=", ".join(langs))

    def view(self) -> dict[str, Any]:
        return {**self.args(), **_stats(self)}

    def describe(self, lang: str = "en") -> str:
        from ...templates import render

        return render("plan_op_auto_captions", lang, **self.view(),
                      style_name=render(f"speech_style_{self.style}", lang))


@dataclass(frozen=True)
class CaptionFix(Op):
    wrong: str
    right: str

    tool = "caption_fix"
    summary = "Correct a word of the captions everywhere it appears: wrong → right."
    schema = obj_schema({"wrong": {"type": "string", "minLength": 1, "maxLength": 200},
                         "right": {"type": "string", "maxLength": 200}}, "wrong", "right")

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        ct = track(draft, TEXT, "caption")
        pattern = fix_pattern(self.wrong)
        count = 0
        for seg in ct.segments if ct is not None else []:
            text = seg.text
            if text is None:
                continue
            new, n = pattern.subn(lambda _m: self.right, text)
            if n:
                count += n
                hl = seg.hl
                if hl is not None:
                    seg.hl = None   # offsets moved: recompute by the word before the fix
                    before = text[hl[0]:hl[1]]
                    fixed = pattern.sub(lambda _m: self.right, before)
                    pos = new.find(fixed)
                    if pos >= 0:
                        seg.hl = (pos, pos + len(fixed))
                seg.text = new
        # the transcript too, so later captions, the .srt and `igedit transcript` say it
        heard = _heard(draft, pattern)
        if not count and not heard:
            raise InputError("not in the captions", key="speech_phrase_missing", phrase=self.wrong)
        draft.speech_fixes = [*fixes(draft), (self.wrong, self.right)]
        _record(self, count=count or heard)

    def view(self) -> dict[str, Any]:
        return {**self.args(), **_stats(self)}


@dataclass(frozen=True)
class CaptionsSrt(Op):
    on: bool = True

    tool = "captions_srt"
    summary = "Also write the captions as an .srt file beside the exported video."
    schema = obj_schema({"on": {"type": "boolean"}})

    def _edit(self, draft: Draft, ctx: PlanContext) -> None:
        draft.srt = bool(self.on)
