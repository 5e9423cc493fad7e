"""Rules for what needs the footage seen: highlights, transitions, cuts on the beat,
removing a scene, following the subject or keeping the crop centred. Vocabulary in
``skill/data/vision.yaml``. :func:`ext_vision` runs first over each clause (before
the trim rules read "15 seconds" as a trim); :func:`finish` turns what it recorded
into ops after the others' (a highlight after trims, the beat after the music).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..ops import Op
from ..ops.scenes import SceneAbout, topic_terms
from ..ops.vision import (
    DEFAULT_TRANSITION_MS,
    AddTransitions,
    CutToBeat,
    KeepScene,
    MakeHighlight,
    RemoveScene,
    SetReframe,
)
from ..speech.analysis import is_cjk
from .phrases import NUM, parse_num
from .rulebase import Clause, Env, State, words

DATA = Path(__file__).resolve().parents[2] / "data" / "vision.yaml"
DEFAULT_HIGHLIGHT_S = 15
_SECONDS = r"(?:seconds?|secs?|sec|s|秒钟|秒鐘|秒)(?![a-z])"
_MINUTES = r"(?:minutes?|mins?|min|分钟|分鐘)(?![a-z])"


@lru_cache(maxsize=1)
def vocab() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw: dict[str, Any] = yaml.load(DATA.read_text(encoding="utf-8"), Loader=loader)
    return raw


def _re(key: str) -> str:
    return words([str(w) for w in vocab()[key]])


def _wants(st: State) -> dict[str, Any]:
    return st.vision


def ext_vision(cl: Clause, st: State, env: Env) -> None:
    """Every vision rule over one clause."""
    for rule in (_highlight, _no_transitions, _transitions, _beat, _scene_number,
                 _scene_about, _reframe):
        rule(cl, st, env)


def _length_s(text: str) -> int | None:
    m = re.search(rf"(?P<n>{NUM})\s*-?\s*(?P<u>{_SECONDS}|{_MINUTES})", text, re.IGNORECASE)
    if not m:
        return None
    n = parse_num(m.group("n"))
    if n is None:
        return None
    return int(round(n * (60 if re.match(_MINUTES, m.group("u"), re.IGNORECASE) else 1)))


def _highlight(cl: Clause, st: State, env: Env) -> None:
    noun = cl.search(_re("highlight"))
    if noun is None:
        return
    length = rf"(?P<len>{NUM}\s*-?\s*(?:{_SECONDS}|{_MINUTES}))"
    verbs = _re("highlight_verbs")
    before = cl.search(rf"(?:{verbs}\s*)*{length}\s*(?:long\s*)?(?:的\s*)?{_re('highlight')}")
    after = cl.search(rf"(?:{verbs}\s*)*{_re('highlight')}\s*(?:of|lasting|that\s+is|,)?\s*"
                      rf"(?:about\s+|around\s+)?{length}(?:\s+long)?")
    m = before or after
    seconds = _length_s(m.group("len")) if m else None
    if m is None:
        m = cl.search(rf"(?:{verbs}\s*)*{_re('highlight')}")
    cl.take(m)
    _wants(st)["highlight"] = seconds or DEFAULT_HIGHLIGHT_S
    cl.topic = "highlight"


def _no_transitions(cl: Clause, st: State, env: Env) -> None:
    if cl.grab(_re("no_transitions")):
        _wants(st)["transition"] = ("none", DEFAULT_TRANSITION_MS)
        cl.topic = "transition"


def _transitions(cl: Clause, st: State, env: Env) -> None:
    noun = cl.search(_re("transition_nouns"))
    style = None
    strong = ("crossfade", "black", "white")   # words that name a transition on their own
    for name, items in vocab()["transitions"].items():
        pattern = words([str(i) for i in items])
        if (name in strong or noun is not None) and cl.search(pattern):
            style = style or name
            cl.grab_all(pattern)
    if noun is None and style is None:
        return
    if style is None and noun is not None and _unknown_style(cl, noun.start()):
        return   # "a glitch transition": a style we cannot make stays not understood
    cl.grab_all(_re("transition_nouns"))
    cl.grab_all(_re("transition_context"))
    ms = None
    m = cl.search(rf"(?P<n>{NUM})\s*(?P<u>ms|milliseconds?|毫秒|{_SECONDS})")
    if m:
        n = parse_num(m.group("n"))
        if n is not None:
            ms = int(n if m.group("u").lower().startswith(("ms", "milli", "毫")) else n * 1000)
            if 100 <= ms <= 2000:
                cl.take(m)
            else:
                ms = None
    _wants(st)["transition"] = (style or "crossfade", ms or DEFAULT_TRANSITION_MS)
    cl.topic = "transition"


_KNOWN_BEFORE = {"a", "an", "the", "some", "nice", "smooth", "simple", "soft", "quick", "short",
                 "subtle", "clean", "add", "with", "use", "and", "any", "more", "few", "cool",
                 "good", "basic", "default", "", "加", "个", "個", "些", "上", "加个", "加個",
                 "添加", "加上", "一些", "一下", "点", "點", "的", "用", "和", "要"}


def _unknown_style(cl: Clause, at: int) -> bool:
    """Whether the word right before a transition noun names a style we do not know."""
    before = cl.work[:at].rstrip()
    m = re.search(r"([a-z][a-z-]*|[\u3400-\u9fff]{1,2})$", before, re.IGNORECASE)
    word = m.group(1).lower() if m else ""
    return word not in _KNOWN_BEFORE


def _beat(cl: Clause, st: State, env: Env) -> None:
    if cl.grab(_re("beat")):
        _wants(st)["beat"] = True
        cl.topic = cl.topic or "beat"


def _scene_number(cl: Clause, st: State, env: Env) -> None:
    """ "remove the second scene", "cut out scene 3", "keep only the first scene",
    "只保留最后一个镜头": a scene named by its number (:class:`RemoveScene`, :class:`KeepScene`)."""
    noun = _re("scene_nouns")
    if not cl.has(noun):
        return
    keep = rf"(?:{_re('scene_about_keep')}|{_re('zh_scene_keep')})"
    for verb, keeps in ((keep, True), (_re("scene_remove"), False)):
        found: tuple[re.Match[str], int] | None = None
        m = cl.search(rf"{verb}\s*(?:the\s+)?{noun}\s*(?:number\s*|no\.?\s*)?(?P<num>\d+)")
        if m:
            found = m, int(m.group("num"))
        for index, items in vocab()["ordinals"].items():
            if found:
                break
            ordinal = words([str(i) for i in items])
            m = cl.search(rf"{verb}\s*(?:the\s+)?{ordinal}\s*(?:的\s*)?{noun}")
            if m:
                found = m, int(index)
        if found and found[1] != 0:
            cl.take(found[0])
            if keeps:
                _wants(st)["keep_scene"] = found[1]
            else:
                _wants(st).setdefault("remove_scenes", []).append(found[1])
            cl.topic = "scene"
            return


#: an English topic: one to four words up to the end of the clause (or "and", "then")
_TOPIC = (r"(?:the\s+|my\s+|our\s+)?(?P<t>[a-z0-9][a-z0-9'’-]*(?:\s+[a-z0-9][a-z0-9'’-]*){0,3}?)"
          r"(?=\s*(?:$|[,.;!?\x1f]|\s+(?:and|then)\b))")
_SLOT_TOPIC = r"(?P<slot>\ue000\d+\ue001)"
#: a Chinese topic: up to twelve characters before 的/the scene noun
_ZH_TOPIC = r"(?P<t>[\u3400-\u9fffa-z0-9][\u3400-\u9fffa-z0-9 ]{0,11}?)"


def _scene_about(cl: Clause, st: State, env: Env) -> None:
    """ "keep only the beach scene", "remove the scene where I talk about the dog",
    "只保留讲海滩的那一段": a scene named by what is said in it (:class:`SceneAbout`)."""
    noun, talk = _re("scene_nouns"), _re("scene_about_talk")
    keep, remove = _re("scene_about_keep"), _re("scene_remove")
    zh_noun, zh_talk = _re("zh_scene_nouns"), _re("zh_scene_talk")
    zh_keep = _re("zh_scene_keep")
    topic = rf"(?:{_SLOT_TOPIC}|{_TOPIC})"
    zh_topic = rf"(?:{_SLOT_TOPIC}|{_ZH_TOPIC})"
    named = r"(?P<t>(?:[a-z][a-z'’-]*\s+){0,2}[a-z][a-z'’-]*)"   # "the beach scene"
    patterns = (
        (rf"{keep}\s+(?:the\s+)?{noun}\s+{talk}\s*{topic}", True),
        (rf"{remove}\s+(?:the\s+)?{noun}\s+{talk}\s*{topic}", False),
        (rf"{keep}\s+(?:the\s+)?{named}\s+{noun}\b(?!\s+(?:where|about|that|with))", True),
        (rf"{remove}\s+(?:the\s+)?{named}\s+{noun}\b(?!\s+(?:where|about|that|with))", False),
        (rf"{zh_keep}\s*(?:{zh_talk})?\s*{zh_topic}\s*的?\s*{zh_noun}", True),
        (rf"{remove}\s*(?:我|他|她)?\s*(?:{zh_talk})\s*{zh_topic}\s*的?\s*{zh_noun}", False),
    )
    for pattern, keeps in patterns:
        m = cl.search(pattern)
        about = _topic(cl, m) if m else None
        if m is None or about is None:
            continue
        cl.take(m)
        _wants(st).setdefault("scene_about", []).append((about, keeps))
        cl.topic = "scene"
        return


def _topic(cl: Clause, m: re.Match[str]) -> str | None:
    """The topic a scene rule matched, or None when it is not one (a number, an ordinal,
    "this", nothing)."""
    slot = m.groupdict().get("slot")
    raw = cl.masked.slots[int(slot.strip("\ue000\ue001"))] if slot else (m.group("t") or "")
    about = raw.strip(" \t,，.。;；:：!！?？、\"'“”")
    if not about or re.search(r"\d|第", about) or not (is_cjk(about) or topic_terms(about)):
        return None
    ordinals = [str(i) for items in vocab()["ordinals"].values() for i in items]
    if re.fullmatch(words([*ordinals, "this", "that", "other", "next", "previous", "whole",
                           "entire", "这个", "這個", "那个", "那個"]), about, re.IGNORECASE):
        return None
    return about


def _reframe(cl: Clause, st: State, env: Env) -> None:
    if cl.grab(_re("center")):
        _wants(st)["reframe"] = "center"
    elif (not cl.slots(("quote", "title")) and not cl.has(r"标题|標題|字幕|文字|文本|title|caption")
          and cl.grab(_re("center_bare"))):
        _wants(st)["reframe"] = "center"
    elif cl.grab(_re("follow")):
        _wants(st)["reframe"] = "subject"
    else:
        return
    cl.grab_all(r"\b(?:please|instead|the\s+crop)\b|吧|就好|就行")
    cl.topic = cl.topic or "aspect"


def finish(st: State, env: Env) -> list[Op]:
    """The vision ops the instruction asked for, in the order they apply; may add the
    "following the subject" note when a crop now cuts the sides of landscape footage."""
    wants = st.vision
    out: list[Op] = []
    if "reframe" in wants:
        out.append(SetReframe(wants["reframe"]))
    elif st.ratio and (st.fit or env.fit) == "crop" and _cuts_sides(st.ratio, env):
        st.notes.append("plan_note_following_subject")
    for about, keeps in wants.get("scene_about", []):
        out.append(SceneAbout(about, keeps))
    if "highlight" in wants:
        out.append(MakeHighlight(int(wants["highlight"])))
    if "keep_scene" in wants:
        out.append(KeepScene(int(wants["keep_scene"])))
    for index in sorted(set(wants.get("remove_scenes", [])), key=lambda i: -i if i > 0 else 10**6):
        out.append(RemoveScene(index))
    if wants.get("beat"):
        out.append(CutToBeat())
    if "transition" in wants:
        style, ms = wants["transition"]
        out.append(AddTransitions(style, ms))
    return out


def _cuts_sides(ratio: str, env: Env) -> bool:
    """Whether a crop to ``ratio`` cuts the sides off any video the draft shows."""
    from ...draft import CANVAS

    if env.draft.reframe == "center":
        return False
    w, h = CANVAS.get(ratio, (0, 0))
    return any(m.kind == "video" and m.width and m.height and m.width / m.height > w / h + 0.02
               for m in env.ctx.media) if w and h else False
