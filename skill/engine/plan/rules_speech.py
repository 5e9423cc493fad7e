"""Rules for edits that listen to the speech: remove silences ("jump cut", "去掉停顿"),
remove fillers, cut or keep by what is said, auto-captions, caption fixes.

Runs first among the extractors (:data:`.rules_av.EXTRACTORS`), so "去掉静音的部分"
(remove the silent parts) is read here before the mute rule sees 静音, and a quoted
phrase after "cut the part where I say" never reaches the trim rules. The vocabulary
is data: ``skill/data/speech.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..ops.speech import (
    AutoCaptions,
    CaptionFix,
    CaptionsSrt,
    CutPhrase,
    KeepPhrase,
    RemoveFillers,
    RemoveSilences,
)
from .rulebase import Clause, Env, State


@cache
def table() -> dict[str, Any]:
    data = resources.files("skill").joinpath("data/speech.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(data))


def _re(key: str) -> str:
    value = table()[key]
    return "|".join(f"(?:{v})" for v in value) if isinstance(value, list) else f"(?:{value})"


def _slot_text(cl: Clause, m: re.Match[str]) -> str | None:
    """The phrase a rule matched: a quoted slot's text, or the unquoted words."""
    groups = m.groupdict()
    for name in ("slot", "zslot"):
        raw = groups.get(name)
        if raw:
            return cl.masked.slots[int(raw.strip("\ue000\ue001"))].strip()
    words = (groups.get("words") or "").strip(" ,.;:!?，。；：")
    return words or None


def _level(cl: Clause) -> str:
    if cl.grab(_re("level_tight")):
        return "tight"
    if cl.grab(_re("level_loose")):
        return "loose"
    return "normal"


def _script(cl: Clause) -> str:
    from ..speech.analysis import is_cjk
    from ..speech.script import script_of

    text = cl.masked.unmask(cl.text)
    return script_of(text) if is_cjk(text) else "s"


def ext_speech(cl: Clause, st: State, env: Env) -> None:
    """Every speech rule, over one clause."""
    _silences(cl, st)
    _fillers(cl, st)
    _phrases(cl, st)
    _caption_fix(cl, st)
    _auto_captions(cl, st, env)
    if cl.grab(_re("srt")):
        st.captions.append(CaptionsSrt())
        cl.grab(r"\b(?:too|also|as\s+well)\b|也")


def _silences(cl: Clause, st: State) -> None:
    for key, level in (("tighter", "tight"), ("looser", "loose")):
        if cl.grab(_re(key)):
            # "remove the silences, tighter": the level of the op just planned
            if st.trims and isinstance(st.trims[-1], RemoveSilences):
                st.trims[-1] = RemoveSilences(level)
            else:
                st.trims.append(RemoveSilences(level))
            cl.topic = "silences"
            return
    if cl.grab(_re("silences")) is None:
        return
    cl.grab_all(_re("silences"))
    st.trims.append(RemoveSilences(_level(cl)))
    cl.grab(r"\b(?:from|in)\s+(?:the\s+)?(?:video|clip|talk)\b|视频里的?|視頻裡的?")
    cl.topic = "silences"


def _fillers(cl: Clause, st: State) -> None:
    if cl.grab(_re("fillers")) is None:
        return
    cl.grab_all(_re("fillers"))
    st.trims.append(RemoveFillers())
    cl.topic = "fillers"


def _phrases(cl: Clause, st: State) -> None:
    for key, make in (("cut_sentence", lambda p: CutPhrase(p, True)),
                      ("cut_phrase", lambda p: CutPhrase(p)),
                      ("keep_about", lambda p: KeepPhrase(p, "about")),
                      ("keep_from", lambda p: KeepPhrase(p, "from"))):
        m = cl.search(_re(key))
        if m is None:
            continue
        phrase = _slot_text(cl, m)
        if not phrase:
            continue
        cl.take(m)
        st.trims.append(make(phrase))
        cl.topic = "speech_cut"
        return


_ARROW = r"\s*(?:→|->|=>|⇒|\bto\b|\bshould\s+be\b|改成|改为|改為|应为|應為)\s*"


def _caption_fix(cl: Clause, st: State) -> None:
    head = cl.search(_re("caption_fix"))
    if head is None:
        return
    text = None
    slots = cl.slots(("lines", "quote", "title"))
    if slots:   # "fix the caption: teh → the" is masked as caption lines
        text = " ".join(cl.masked.slots[s] for s in slots)
    rest = text if text is not None else cl.work[head.end():]
    m = re.search(rf"^\W*(?P<a>[^\s→>=]+?){_ARROW}(?P<b>[^\s]+?)\W*$", rest.strip())
    if m is None:
        return
    cl.take(head)
    for s in slots:
        cl.take_slot(s)
    if text is None:
        cl.take((head.end(), len(cl.work)))
    st.captions.append(CaptionFix(m.group("a"), m.group("b")))
    cl.topic = "captions"


def _auto_captions(cl: Clause, st: State, env: Env) -> None:
    from .rulebase import vocab

    kw = cl.search(vocab().re("captions"))
    if kw is None and st.prev_topic == "captions" and st.captions \
            and isinstance(st.captions[-1], AutoCaptions):
        for name in ("word", "bold", "boxed", "clean"):   # "加字幕，黄色高亮"
            if cl.grab_all(_re(f"style_{name}")):
                st.captions[-1] = replace(st.captions[-1], style=name)
                cl.topic = "captions"
                return
    if kw is None and not cl.has(_re("style_word")):   # "one word at a time" says it alone
        return
    if cl.slots(("lines", "quote", "title")):
        return
    if cl.has(r"\b(?:remove|delete|drop|take\s+(?:out|off|away)|get\s+rid\s+of|no|without|hide|clear)\b"
              r"|去掉|去除|删掉|删除|刪掉|刪除|移除|不要|关掉|關掉|取消|拿掉"):
        return
    styled = cl.has("|".join(_re(f"style_{n}") for n in ("bold", "word", "boxed")))
    if not (cl.has(_re("auto_captions")) or styled) and (
            env.captions() or not cl.has(_re("add_captions"))):
        return   # an uploaded .srt/.vtt is meant, or no request to add captions
    style = "clean"
    for name in ("word", "bold", "boxed", "clean"):
        if cl.grab_all(_re(f"style_{name}")):
            style = name
            break
    cl.grab_all(_re("auto_captions"))
    cl.grab_all(vocab().re("captions"))
    cl.grab(_re("add_captions"))
    cl.grab_all(_re("script_words"))
    position = None
    for pos, items in vocab().raw["positions"].items():
        from .rulebase import words

        if cl.grab(words(items)):
            position = str(pos)
            break
    st.captions.append(AutoCaptions(style, position or "bottom", _script(cl)))
    cl.topic = "captions"
