"""GUI-phrase translation: the backend's "click / open / drag" advice → chat + actions.

The NemoVideo backend writes as if the user had an editor on screen. ``translate``
rewrites each sentence that points at the screen into what the user can do by
chatting, and returns the action each phrase stands for (the seed's table):

=============================  =========================================
backend says                   action
=============================  =========================================
"click [button]" / 点击 …      ``api`` (the button's action: ``upload``, ``undo``…)
"Export button" / 导出按钮     ``export`` (the export workflow, never ``api``)
"open [panel]" / 打开 …        ``state`` (query the session state)
"drag/drop" / 拖拽 …           ``sse`` with the described edit ("add Lo-fi to the timeline")
"preview in timeline"          ``summary`` (show the track summary)
=============================  =========================================

Details: a clicked button the table does not know gives ``api`` with its label
lower-cased (``"click Apply"`` → ``GuiAction("api", "apply")``; hosts may ignore it);
a clicked *tab* or *menu* counts as a panel (``state``); a drop into a media bin is
``api`` ``upload``; a drag with no concrete target ("drag it where you want") gives
no action, so a host never runs a vague edit.

"Click the Export button to download your video." becomes
'Say "export" to download your video.'; "点击导出按钮下载视频。" becomes
'说“导出”即可下载视频。' (Traditional input is answered in Traditional). Every other
character of the text is kept. When a sentence still points at the screen after the
rules (an unusual phrasing), the part from its last comma before the GUI words is
replaced by a plain invitation, so the text a user reads never says click, tap,
press, drag or open. Pure: data in ``skill/data/gui.yaml`` (compiled by
:mod:`skill.gui_table`), sentences in ``prompts/*/gui.j2``. Translate whole
sentences (the aggregate text), not streaming fragments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast

from .gui_table import Button, Table, load
from .lang import detect_lang, normalize_lang

__all__ = ["GuiAction", "Translation", "translate"]

Kind = Literal["api", "state", "sse", "summary", "export"]

_SENTENCE_END = re.compile(r"(?=[.!?…。！？\n])(?:[.!?…]+(?=[\s\"”'’)\]]|$)[\"”'’)\]]*"
                           r"|[。！？]+[”」』]?|\n+)")
_END_PUNCT = re.compile(r"(?:[.!?…]+|[。！？]+)[\"”'’)\]」』]*$")


@dataclass(frozen=True)
class GuiAction:
    """What a GUI phrase stands for. ``arg``: the API action for ``api``, the edit for ``sse``."""

    kind: Kind
    arg: str = ""


@dataclass(frozen=True)
class Translation:
    """The rewritten text and the actions its GUI phrases stand for (in order, unique)."""

    text: str
    actions: tuple[GuiAction, ...]


def _action(button: Button) -> GuiAction:
    kind, arg = button.action
    return GuiAction(cast(Kind, kind), arg)


# --------------------------------------------------------------------- rendering
def _render(key: str, lang: str, **ctx: str) -> str:
    return _render_cached(key, lang, tuple(sorted(ctx.items())))


@lru_cache(maxsize=512)
def _render_cached(key: str, lang: str, ctx: tuple[tuple[str, str], ...]) -> str:
    # the same few sentences recur in every reply: render each once
    from .templates import render

    try:
        return render(key, lang, **dict(ctx))
    except Exception:  # a broken template must not break the reply stream
        return ""


def _say(lang: str, say: str, tail: str, end: str) -> str:
    return _render("gui_say", lang, say=say, tail=tail, end=end)


def _default_tail(key: str, lang: str) -> str:
    if not key:
        return ""
    text = _render(key, lang)
    return f" {text}" if lang == "en" and text else text


# --------------------------------------------------------------------- sentences
def _sentences(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((pos, m.end()))
        pos = m.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _find(body: str, t: Table) -> list[tuple[str, re.Match[str]]]:
    """Every GUI phrase in a sentence, left to right, without overlaps.

    Each rule scans once, and only when the sentence holds its literal (a verb, "button",
    "预览"…); the earliest start wins (ties: table order).
    """
    low = body.lower()
    hits: list[tuple[int, int, str, re.Match[str]]] = []
    for order, rule in enumerate(t.rules):
        if rule.needs.search(low):
            hits.extend((m.start(), order, rule.kind, m) for m in rule.rx.finditer(body)
                        if m.end() > m.start())
    found: list[tuple[str, re.Match[str]]] = []
    pos = 0
    for start, _, kind, m in sorted(hits, key=lambda h: (h[0], h[1])):
        if start >= pos:
            found.append((kind, m))
            pos = m.end()
    return found


def _group(m: re.Match[str], src: str, *names: str) -> str:
    """The first group that matched, cut from the original text ``src``."""
    groups = m.groupdict()
    for name in names:
        if groups.get(name):
            return src[m.start(name):m.end(name)].strip()
    return ""


def _button(label: str, t: Table) -> tuple[Button | None, str]:
    clean = " ".join(t.button_words.sub("", label.translate(t.trans)).split())
    return t.buttons.get(clean.lower()), " ".join(t.button_words.sub("", label).split())


class _Rewrite:
    """The pieces of one rewritten sentence."""

    def __init__(self, t: Table, lang: str, same_lang: bool, src: str) -> None:
        self.t, self.lang, self.same_lang, self.src = t, lang, same_lang, src
        self.actions: list[GuiAction] = []

    def tail(self, raw: str, keep: bool = True) -> str:
        """The sentence's own purpose ("to download your video"), or '' if none usable."""
        if not keep or not self.same_lang:
            return ""
        if self.lang == "zh":
            return self.t.tail_strip_zh.sub("", raw).strip()
        raw = self.t.locators.sub("", raw)
        return raw.rstrip() if self.t.tail_keep.match(raw) else ""

    def phrase(self, kind: str, m: re.Match[str], raw_tail: str, end: str) -> str:
        t, lang = self.t, self.lang
        if kind in ("click", "button"):
            label = _group(m, self.src, "q", "cap", "low", "known", "zq", "zq2", "zknown", "zlow",
                           "bq", "bknown", "bcap", "bzq", "bzknown")
            button, clean = _button(label, t)
            if button is not None:
                self.actions.append(_action(button))
                keep = button.action[0] not in ("state", "summary")
                tail = self.tail(raw_tail, keep) or _default_tail(button.tail, lang)
                if lang == "en" and tail and not tail.startswith((" ", ",")):
                    tail = " " + tail
                return _say(lang, button.say.get(lang, clean), tail, end)
            if _group(m, self.src, "bw").lower() not in _PANELISH:
                self.actions.append(GuiAction("api", clean.lower()))
                say = clean.lower() if lang == "en" else clean
                return _say(lang, say, self.tail(raw_tail), end)
            kind = "open"  # "click the Text tab to change the font": a panel
        if kind == "drag":
            return self._drag(m, raw_tail, end)
        if kind == "aim":  # "double-click the title to edit the text"
            purpose = re.sub(r"^\s*to\s+", "", self.tail(raw_tail))
            if purpose and lang == "en":
                return _render("gui_ask", lang, purpose=purpose, end=end)
            return _render("gui_generic", lang, end=end)
        self.actions.append(GuiAction("state" if kind == "open" else "summary"))
        tail = self.tail(raw_tail)
        if kind == "open" and tail:
            purpose = tail if lang == "zh" else re.sub(r"^\s*,?\s*to\s+", "", tail)
            if purpose != tail or lang == "zh":
                return _render("gui_ask", lang, purpose=purpose, end=end)
        if kind == "open" or not re.match(r"\s*,?\s*to\s", tail):
            tail = ""  # "preview the effect in the timeline" names no purpose
        tail = tail or _default_tail(t.state_tail, lang)
        return _say(lang, t.state_say.get(lang, "status"), tail, end)

    def _drag(self, m: re.Match[str], raw_tail: str, end: str) -> str:
        lang = self.lang
        dest_all = _group(m, self.src, "dest", "zdest", "zdest2").translate(self.t.trans)
        if self.t.media.search(dest_all) and not self.t.timeline.search(dest_all):
            # "drag files into the media panel" is an upload, not an edit
            upload = self.t.buttons["upload"]
            self.actions.append(_action(upload))
            return _say(lang, upload.say.get(lang, "upload"), _default_tail(upload.tail, lang), end)
        src = self.src
        zobj = _group(m, src, "zobj", "zobj2")
        if zobj:
            obj = re.split(r"[将把]", zobj)[-1].strip()
            dest = _group(m, src, "zdest", "zdest2")
            verb = "添加到" if self.t.timeline.search(dest.translate(self.t.trans)) else "移到"
            edit = f"把{obj}{verb}{dest}"
        else:
            obj = re.sub(r"\s+from\s+.*$", "", _group(m, src, "obj"), flags=re.IGNORECASE)
            prep = " ".join(_group(m, src, "prep").lower().split())
            dest = _group(m, src, "dest")
            first = dest.split()[0].lower() if dest.split() else ""
            if first in _VAGUE:  # "drag it to where you want it": nothing to run
                return _render("gui_generic", lang, end=end)
            if prep == "to" and not (first in _DEST_WORDS or dest[:1].isupper() or dest[:1].isdigit()):
                # "drag the edges to trim it": a purpose, not an edit the host could run
                return _render("gui_ask", lang, purpose=dest, end=end)
            if self.t.timeline.search(dest) and len(dest.split()) <= 4:
                edit = f"add {obj} to {dest}"
            elif prep == "to":
                edit = f"move {obj} to {dest}"
            else:
                edit = f"put {obj} {_PREP.get(prep, prep)} {dest}"
        self.actions.append(GuiAction("sse", edit))
        return _say(lang, edit, self.tail(raw_tail), end)


_DEST_WORDS = {"the", "a", "an", "your", "my", "this", "that", "its", "it", "them", "start",
               "end", "beginning", "top", "bottom", "left", "right"}
_POLITE_ZH = re.compile(r"(?:请您?|請您?|您?可以|你可以|麻烦|麻煩)$")
_ASK_ZH = ("想", "如果想")
_PANELISH = {"tab", "menu"}
_VAGUE = {"where", "wherever", "anywhere", "here", "there", "somewhere"}
_PREP = {"onto": "on", "on to": "on", "into": "in"}
_JOIN = re.compile(r"(?:,?\s*(?:and\s+then|then|and|or)|\s*[,，;；]\s*(?:然后|再|并|或者)?"
                   r"|然后|再|并且?)\s*$", re.IGNORECASE)


def _rewrite_sentence(sentence: str, lang: str | None, t: Table) -> tuple[str, list[GuiAction]]:
    stripped = sentence.lstrip()
    lead = sentence[:len(sentence) - len(stripped)]
    trail_ws = stripped[len(stripped.rstrip()):]
    core = stripped.rstrip()
    end_m = _END_PUNCT.search(core)
    end = end_m.group() if end_m else ""
    body = core[:len(core) - len(end)]
    mapped = body.translate(t.trans)
    own = detect_lang(body)
    out_lang = lang or own
    if end:
        end = end.translate(_TO_ZH if out_lang == "zh" else _TO_EN)
    rw = _Rewrite(t, out_lang, own == out_lang, body)
    found = _find(mapped, t)
    if found:
        pick = max((i for i, (k, _) in enumerate(found) if k in ("drag", "click", "button")),
                   default=len(found) - 1)
        kind, m = found[pick]
        start = found[0][1].start()
        if kind == "drag" and m.groupdict().get("zobj"):  # "你可以将X拖到…": keep "你可以"
            zobj = m.group("zobj")
            cut = max(zobj.rfind("将"), zobj.rfind("把"))
            if cut >= 0 and pick == 0:
                start = m.start("zobj") + cut
        stop = found[pick + 1][1].start() if pick + 1 < len(found) else len(body)
        raw_tail = body[m.end():stop]
        if pick + 1 < len(found):
            raw_tail = _JOIN.sub("", raw_tail)
        for k, other in found[:pick]:  # earlier phrases still stand for their actions
            _Rewrite.phrase(rw, k, other, "", "")
        phrase = rw.phrase(kind, m, raw_tail, end or ("。" if out_lang == "zh" else "."))
        for k, other in found[pick + 1:]:
            _Rewrite.phrase(rw, k, other, "", "")
        if out_lang == "zh" and any(ord(c) in t.trans for c in body):
            phrase = phrase.translate(t.back)  # answer Traditional in Traditional
        prefix = body[:start]
        if out_lang == "zh" and phrase.startswith(_ASK_ZH):
            prefix = _POLITE_ZH.sub("", prefix)  # "请想选择…" reads wrong: drop the "请"
        if out_lang == "en" and prefix.strip() and not prefix.rstrip().endswith((".", "!", "?", ":")):
            phrase = phrase[:1].lower() + phrase[1:]
        new = prefix + phrase
    elif not t.forbidden.search(mapped):
        return sentence, []
    else:
        new = core
    bad = t.forbidden.search(new.translate(t.trans))
    if bad:  # the net: keep the clauses before the GUI words, replace the rest
        generic = _render("gui_generic", out_lang, end="。" if out_lang == "zh" else ".")
        if out_lang == "zh" and any(ord(c) in t.trans for c in body):
            generic = generic.translate(t.back)
        cut = max(new.rfind(c, 0, bad.start()) for c in ",，;；")
        keep = new[:cut + 1] if cut >= 0 else ""
        if keep and out_lang == "en":
            generic = " " + generic[:1].lower() + generic[1:]
        new = keep + generic
    return lead + new + trail_ws, rw.actions


_TO_ZH = str.maketrans({".": "。", "!": "！", "?": "？"})
_TO_EN = str.maketrans({"。": ".", "！": "!", "？": "?"})


def translate(text: str, lang: str | None = None) -> Translation:
    """Rewrite the GUI advice in ``text`` for a chat user; see the module docstring.

    ``lang`` (``en``/``zh``) is the reply language; by default each sentence keeps
    its own. Never raises on a ``str``.
    """
    if not isinstance(text, str) or not text:
        return Translation(text if isinstance(text, str) else "", ())
    t = load()
    if not t.prefilter.search(text.lower()):
        return Translation(text, ())  # the common case: nothing points at the screen
    out_lang = normalize_lang(lang, "") or None
    pieces: list[str] = []
    actions: list[GuiAction] = []
    for s, e in _sentences(text):
        sentence = text[s:e]
        if not t.prefilter.search(sentence.lower()):
            pieces.append(sentence)
            continue
        try:
            new, acts = _rewrite_sentence(sentence, out_lang, t)
        except RecursionError:
            new, acts = "", []
        pieces.append(new)
        actions.extend(a for a in acts if a not in actions)
    return Translation("".join(pieces), tuple(actions))
