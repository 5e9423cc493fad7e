"""The GUI-phrase table (``skill/data/gui.yaml``) compiled into regexes, once.

Only :mod:`skill.gui` uses this; it lives apart so the rewriting logic stays short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Button", "Rule", "Table", "load"]

TABLE_PATH = Path(__file__).resolve().parent / "data" / "gui.yaml"


@dataclass(frozen=True)
class Button:
    action: tuple[str, str]   # (GuiAction kind, arg)
    say: dict[str, str]
    tail: str              # template key for the default purpose, or ""


@dataclass(frozen=True)
class Rule:
    kind: str                 # click | aim | drag | open | button | preview
    rx: re.Pattern[str]
    needs: re.Pattern[str]    # a literal the lower-cased sentence must contain first


@dataclass(frozen=True)
class Table:
    trans: dict[int, str]
    prefilter: re.Pattern[str]
    rules: tuple[Rule, ...]
    forbidden: re.Pattern[str]
    locators: re.Pattern[str]
    tail_keep: re.Pattern[str]
    tail_strip_zh: re.Pattern[str]
    button_words: re.Pattern[str]
    timeline: re.Pattern[str]
    media: re.Pattern[str]
    buttons: dict[str, Button]
    state_say: dict[str, str]
    state_tail: str
    back: dict[int, str]


def _alt(items: list[str]) -> str:
    return "|".join(f"(?:{i})" for i in sorted(items, key=len, reverse=True))


def _lits(items: list[str]) -> list[str]:
    """The literal start of each fragment ("drag(?:…)" → "drag"), lower-cased."""
    return [re.split(r"[\\(\[?*+{|]", str(i), maxsplit=1)[0].lower() for i in items]


def _en(fragment: str) -> str:
    return f"(?<![A-Za-z])(?:{fragment})(?![A-Za-z])"


def _parse_action(spec: str) -> tuple[str, str]:
    kind, _, arg = spec.partition(":")
    if kind not in ("api", "state", "summary", "export", "sse"):
        raise ValueError(f"gui.yaml: unknown action {spec!r}")
    return kind, arg


@lru_cache(maxsize=1)
def load() -> Table:
    d: dict[str, Any] = yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))
    pairs = str(d.get("traditional") or "").split()
    trans = {ord(p[0]): p[1] for p in pairs if len(p) == 2 and p[0] != p[1]}
    v: dict[str, list[str]] = d["verbs"]
    buttons: dict[str, Button] = {}
    for row in d["buttons"]:
        button = Button(_parse_action(str(row["action"])), dict(row["say"]), str(row.get("tail") or ""))
        for label in row["labels"]:
            buttons[" ".join(str(label).lower().split())] = button
    known_en = _alt([re.escape(k).replace("\\ ", r"\s+") for k in buttons if k.isascii()])
    known_zh = _alt([re.escape(k) for k in buttons if not k.isascii()])
    bw, bw_zh = _alt(d["button_words"]), _alt(d["button_words_zh"])
    pw, pw_zh = _alt(d["panel_words"]), _alt(d["panel_words_zh"])
    loc_zh = str(d["locators_zh"])
    # a Capitalised label, stopping before "button" / "to" even in ALL-CAPS text
    not_label = rf"(?!(?i:{bw}|to|in|on|at|and|when|for|then|so|or|if|once|of|the|now)\b)"
    cap = rf"(?-i:[A-Z0-9][\w&+\-]*(?:\s+{not_label}(?-i:[A-Z0-9])[\w&+\-]*){{0,3}})"
    label_en = (rf"(?:[\"“‘'](?P<q>[^\"”’'\n]{{1,40}})[\"”’']|(?P<cap>{cap})"
                rf"|(?P<low>[a-z][\w\-]*(?:\s+[a-z][\w\-]*){{0,2}}?)(?=\s+(?:{bw})\b)"
                rf"|(?P<known>{known_en}))(?:\s+(?P<bw>{bw}))?(?![A-Za-z])")
    label_zh = (rf"(?:“(?P<zq>[^”\n]{{1,12}})”|「(?P<zq2>[^」\n]{{1,12}})」|(?P<zknown>{known_zh})"
                rf"|(?P<zlow>[^，。“”！？、\s]{{1,6}}?)(?=(?:{bw_zh})))(?:{bw_zh})?")
    click = _en(rf"(?:double[\s-]?|right[\s-]?)?(?:{_alt(v['click'])})(?:s|ed|ing)?")
    open_en = _en(_alt(v["open"]))
    stop = r"(?=\s+(?:to|so|and|when|then|which|for|where)\s|\s*[,.;!?]|$)"
    obj_dest = rf"\s+(?P<obj>[^,.;!?]+?)\s+(?P<prep>{{preps}})\s+(?P<dest>[^,.;!?]+?){stop}"
    click_w, open_w = _lits(v["click"]), _lits(v["open"])
    rules = [
        ("click", rf"{click}(?:\s+on)?\s+(?:(?:the|your|that|this|a)\s+)?{label_en}", click_w),
        ("click", rf"(?:{_alt(v['click_zh'])})(?:一下)?{loc_zh}?{label_zh}", _lits(v["click_zh"])),
        ("aim", rf"{click}(?:\s+on)?\s+(?:the|a|an|your|this|that|each|any)\s+[^,.;!?]{{1,30}}?"
                rf"(?=\s+to\s)", click_w),
        ("drag", _en(_alt([x for x in v["drag"] if x != "drop"]))
         + obj_dest.replace("{preps}", r"onto|on\s+to|into|to|over|on|in|at"), ["drag"]),
        ("drag", _en("drop") + obj_dest.replace("{preps}", r"onto|on\s+to|into|on|in"), ["drop"]),
        ("drag", rf"(?:{_alt(v['drag_zh'])})(?P<zobj2>[^，。,！？、到至]{{1,20}}?)(?:到|至)"
                 rf"(?P<zdest2>[^，。,！？、]{{1,20}}?)(?:上|中|里|内)?(?=[，。,！？、]|即可|就|来|以|$)",
         _lits(v["drag_zh"])),
        ("drag", rf"(?P<zobj>[^，。,！？、]{{1,24}}?)(?:{_alt(v['drag_zh'])})(?:到|至|进入|进|入)"
                 rf"(?P<zdest>[^，。,！？、]{{1,20}}?)(?:上|中|里|内)?(?=[，。,！？、]|即可|就|来|以|$)",
         _lits(v["drag_zh"])),
        ("open", rf"{open_en}(?:\s+up)?\s+(?P<panel>(?:the|your)\s+[^,.;!?]{{1,40}}?"
                 rf"|{cap}(?:\s+(?:{pw}))?){stop}", open_w),
        ("open", rf"(?:{_alt(v['open_zh'])})(?P<zpanel>[^，。,！？、]{{0,12}}?(?:{pw_zh}))",
         _lits(v["open_zh"])),
        ("open", r"(?:打开|开启)(?P<zpanel2>[^，。,！？、]{1,8}?)(?=[，。,！？、]|然后|并|$)",
         ["打开", "开启"]),
        ("button", rf"(?:(?:use|using|via|with|find|hit)\s+)?(?:the\s+|your\s+)?"
                   rf"(?:[\"“](?P<bq>[^\"”\n]{{1,30}})[\"”]|(?P<bknown>{known_en})|(?P<bcap>{cap}))"
                   rf"\s+(?:{bw})(?![A-Za-z])", _lits(d["button_words"])),
        ("button", rf"(?:使用|用|通过)?{loc_zh}?(?:“(?P<bzq>[^”\n]{{1,12}})”|(?P<bzknown>{known_zh}))"
                   rf"(?:{bw_zh})", _lits(d["button_words_zh"])),
        ("preview", _alt(d["preview"]), ["preview", "timeline"]),
        ("preview", _alt(d["preview_zh"]), ["预览", "时间线", "时间轴"]),
    ]
    flags = re.IGNORECASE
    forbidden = _alt([_en(f) for f in d["forbidden"]] + list(d["forbidden_zh"]))
    return Table(
        trans=trans,
        prefilter=re.compile("|".join(re.escape(str(w).lower()) for w in d["prefilter"])),
        rules=tuple(Rule(kind, re.compile(rx, flags), re.compile("|".join(map(re.escape, needs))))
                    for kind, rx, needs in rules),
        forbidden=re.compile(forbidden, flags),
        locators=re.compile(f"^(?:{_alt(d['locators'])})+", flags),
        tail_keep=re.compile(str(d["tail_keep"]), flags),
        tail_strip_zh=re.compile(str(d["tail_strip_zh"])),
        button_words=re.compile(rf"\s*(?:{bw}|{bw_zh})$", flags),
        timeline=re.compile(rf"(?:{_alt(d['timeline_words'])}|{_alt(d['timeline_words_zh'])})\s*$",
                            flags),
        media=re.compile(_alt([_en(w) if w.isascii() else w for w in d["media_words"]]), flags),
        buttons=buttons,
        state_say=dict(d["state_say"]),
        state_tail=str(d["state_tail"]),
        back={ord(simp): trad for trad, simp in reversed(list(
            (chr(k), v) for k, v in trans.items()))},
    )
