"""Rules for requests that name the goal rather than the edit: "edit this for
Instagram", "make it Instagram-ready", "into a 1080p MP4", "发到 Instagram",
"帮我剪成适合Instagram的视频"; several formats at once ("export as a Reel and a square
post", "also make a 4:5 version", "Reel 和 帖子 各一个"); and questions about Instagram
editing in general, answered with the concrete choices. Vocabulary in
``skill/data/instagram.yaml`` and ``skill/data/formats.yaml``.

* :func:`ext_goal_first` runs before every other rule: a general question takes its
  whole clause (so nothing is half-done from it), and several formats take their words
  (so "a Reel and a square post" is not read as one reframe).
* :func:`ext_goal_last` runs after every other rule and takes what is left of a goal
  request: the goal, the delivery words (1080p, MP4, H.264: what every export is) and
  the words that describe the clip ("60-second", "phone-recorded").
* :func:`settle_goal` runs before the state becomes ops: when no shape was named it
  chooses one from the footage (a Reel unless the clip is square, then a square post),
  turns loudness back on, and renders the note that says what was chosen and how to
  change it; the length the user gave is compared with the clip's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ...formats import format_of, format_words, formats_in, resolve
from ...templates import render
from ..ops import TARGET_RATIOS, Op, secs
from ..ops.draftedit import canvas_for
from ..ops.formats import SetFormats
from .phrases import parse_num
from .rulebase import Clause, Env, State

DATA = Path(__file__).resolve().parents[2] / "data" / "instagram.yaml"
#: what Instagram takes, by target (instagram-specs.md): shortest and longest, in seconds
LIMITS_S: dict[str, tuple[int, int]] = {"reels": (3, 15 * 60), "stories": (3, 60),
                                        "feed": (3, 60), "square": (3, 60)}
#: a length said within this much of the clip's is the clip's ("a 60-second clip" of 59.5 s)
LENGTH_SLACK_MS = 1500
_VERBS = (r"\b(?:export|render|save|deliver|make|create|give\s+me|i\s+want|i\s+need|get)\b"
          r"(?:\s+(?:it|this|them|me))?(?:\s+(?:as|in|into|to))?"
          r"|导出|導出|匯出|输出|輸出|做成|做|出|要|来|來|给我|給我")
_EXTRA = (r"\b(?:one\s+of\s+each|each|both|versions?|copies|files?|formats?|as\s+well|also|plus|too|and|"
          r"an?|the|one|another|additional|extra|second)\b|各一个|各一個|各来一个|各來一個|各一|两个|兩個|两种|兩種|三个|三個|"
          r"版本|都要|分别|分別|也要|还要|還要|另外|再来|再來|再|一个|一個|一份|个|個|和|跟|与|與|及|、|的|版")


@lru_cache(maxsize=1)
def vocab() -> dict[str, re.Pattern[str]]:
    raw = _load()

    def alt(items: list[str]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{i})" for i in sorted(items, key=len, reverse=True)),
                          re.IGNORECASE)

    return {key: alt([str(i) for i in raw[key]]) for key in raw if key != "length"}


@lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml when present
    raw: dict[str, Any] = yaml.load(DATA.read_text(encoding="utf-8"), Loader=loader)
    return raw


@lru_cache(maxsize=1)
def _lengths() -> tuple[re.Pattern[str], ...]:
    raw = _load()
    return tuple(re.compile(str(p), re.IGNORECASE) for p in raw["length"])


def _goal(st: State) -> dict[str, Any]:
    return st.goal


def _grab_all(cl: Clause, pattern: re.Pattern[str]) -> int:
    found = list(pattern.finditer(cl.work))
    for m in found:
        cl.take(m)
    return len(found)


def ext_goal_first(cl: Clause, st: State, env: Env) -> None:
    """A general question about Instagram editing, or several formats (see the docstring).
    Both are read from the whole instruction: "and" splits it into clauses."""
    g = _goal(st)
    if "whole" not in g:
        whole = env.masked.text
        v = vocab()
        g["whole"] = "vague" if v["goal"].search(whole) and v["vague"].search(whole) else \
            formats_in(whole)
    if g["whole"] == "vague":
        cl.take((0, len(cl.work)))
        g["vague"] = [env.masked.unmask(env.masked.text).strip(" \t,，.。;；:：!！?？")]
        cl.topic = "goal"
        return
    if g["whole"] is None:
        _single(cl, st, env)
        return
    spans = format_words(cl.work)
    saved = cl.save()
    for span in spans:
        cl.take(span)
    cl.grab_all(_VERBS)
    cl.grab_all(_EXTRA)
    if not spans and cl.leftovers():   # another edit's clause: its words are its own
        cl.restore(saved)
        return
    g["formats"] = g["whole"]
    cl.topic = "formats"


def _single(cl: Clause, st: State, env: Env) -> None:
    """"only the Reel", "just the square one", "只要 Reels": back to one file."""
    if not env.draft.formats or not format_words(cl.work):
        return
    m = cl.search(r"\b(?:only|just)\b(?:\s+(?:one|a\s+single)\s+(?:file|format|version))?|只要|只导出|只導出|只")
    if m is not None:
        cl.take(m)
        _goal(st)["single"] = True


def ext_goal_last(cl: Clause, st: State, env: Env) -> None:
    """What is left of "edit this 60-second phone clip for Instagram into a 1080p MP4"."""
    v = vocab()
    if not (v["goal"].search(cl.work) or v["delivery"].search(cl.work)):
        return
    m = next((found for rx in _lengths() if (found := rx.search(cl.work))), None)
    if m and (n := parse_num(m.group("n"))) is not None:
        minutes = m.group("u").lower().startswith(("m", "分"))
        _goal(st)["said_ms"] = int(round(n * (60_000 if minutes else 1000)))
        cl.take(m)
    for key in ("goal", "delivery", "source"):
        _grab_all(cl, v[key])
    rest = v["rest"]
    if any(r.strip() for r in cl.leftovers()) and _only(cl, rest):
        _grab_all(cl, rest)
    _goal(st)["ready"] = True
    cl.topic = cl.topic or "goal"


def _only(cl: Clause, rest: re.Pattern[str]) -> bool:
    """Whether the clause's untaken words are all generic ("edit this … clip")."""
    left = rest.sub(" ", " ".join(cl.leftovers()))
    return not re.search(r"[a-z0-9]{2,}|[\u3400-\u9fff]", left, re.IGNORECASE)


@dataclass(frozen=True)
class Goal:
    """What :func:`settle_goal` adds to the plan."""

    ops: tuple[Op, ...] = ()          # applied after the others (the formats list)
    notes: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()     # general questions, answered with the choices


def source_ratio(env: Env) -> str:
    """The shape of the footage: the first clip's, else the draft's canvas."""
    for item in env.ctx.media:
        if item.kind in ("video", "image") and item.width and item.height:
            return canvas_for(item.width, item.height)
    return env.draft.ratio or "9:16"


def settle_goal(st: State, env: Env) -> Goal:
    """Turn what the goal rules recorded into state changes, ops and notes."""
    g = st.goal
    lang = env.ctx.lang
    notes: list[str] = []
    ops: list[Op] = []
    src = source_ratio(env)
    draft = env.draft
    if g.get("vague"):
        notes.append(render("goal_choices", lang, **_default_choice(src)))
    req = g.get("formats")
    if req is not None:
        current = format_of(st.ratio or draft.ratio or src, st.target or draft.target)
        names = resolve(req.names, source_ratio=src, current=current, also=req.also)
        ops.append(SetFormats(names))
    if g.get("single") and req is None:
        ops.append(SetFormats(()))
    if g.get("ready"):
        notes.extend(_ready(st, env, src, lang))
    return Goal(tuple(ops), tuple(notes), tuple(g.get("vague", [])))


def _default_choice(src: str) -> dict[str, Any]:
    target = "square" if src == "1:1" else "reels"
    ratio = TARGET_RATIOS[target][0]
    return {"source": src, "target": target, "ratio": ratio}


def _ready(st: State, env: Env, src: str, lang: str) -> list[str]:
    draft = env.draft
    if st.ratio:   # the words named a shape or a target: theirs stands
        why = "asked"
        if st.target == "feed" and src == "1:1" and not re.search(r"4\s*[:：x×]\s*5", env.masked.text):
            st.ratio = "1:1"   # a square clip's feed post stays square
            why = "square_feed"
        target = st.target or {"9:16": "reels", "1:1": "square", "4:5": "feed"}.get(st.ratio)
        if target and st.ratio in TARGET_RATIOS.get(target, ()):
            st.target = target
        ratio = st.ratio
    elif draft.target in TARGET_RATIOS:
        why, target, ratio = "kept", draft.target, draft.ratio or src
    else:
        current = draft.ratio or src
        if current == "1:1":
            why, target = "square", "square"
        elif current == "4:5":
            why, target = "feed", "feed"
        else:
            why, target = ("portrait" if current == "9:16" else "landscape"), "reels"
        ratio = TARGET_RATIOS[target][0]
        st.ratio, st.target = ratio, target
    if draft.loudnorm is False and st.loudnorm is None:
        st.loudnorm = True
    from ...draft import CANVAS

    w, h = CANVAS[ratio]
    notes = [render("goal_ready", lang, why=why, target=target or "", ratio=ratio, w=w, h=h,
                    loudness_back=st.loudnorm is True and draft.loudnorm is False)]
    total = env.total
    said = st.goal.get("said_ms")
    if isinstance(said, int) and total and abs(said - total) > LENGTH_SLACK_MS:
        notes.append(render("goal_length", lang, said=secs(said), total=secs(total),
                            longer=said > total))
    low, high = LIMITS_S.get(target or "", (3, 15 * 60))
    if total and (total < low * 1000 or total > high * 1000):
        notes.append(render("goal_limit", lang, target=target or "", total=secs(total),
                            low=low, high=high, short=total < low * 1000))
    return notes


__all__ = ["Goal", "ext_goal_first", "ext_goal_last", "settle_goal", "source_ratio"]
