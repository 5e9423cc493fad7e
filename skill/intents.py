"""The intent router: one utterance in, the steps to run out. Pure (no I/O).

All phrases live in ``skill/data/intents.yaml``; this module only interprets that
table. The only outside world it touches is the injectable ``exists`` predicate that
tells whether a token names a file.

How an utterance is read:

1. **Normalise** a copy for matching: NFKC (full-width → ASCII), Traditional →
   Simplified Chinese (one character for one, so offsets map back), case-insensitive
   regexes. Everything handed on (paths, edit text) is cut from the *original* text.
2. **Files**: quoted paths, bare paths (also with unquoted spaces or ``\\ ``
   escapes), ``name.mp4`` glued to Chinese text, and http(s) URLs. A token is a file
   when ``exists`` says so (URLs always are); after an explicit "upload"/"上传" a
   media-looking token that does not exist is still uploaded, so the upload handler
   can say "no such file" instead of the editor guessing.
3. **Protected text**: quoted strings and the content of titles/captions ("a title
   that says Download now", "字幕写着导出") never count as commands.
4. **Intents**: table phrases minus the ``not`` guards ("rebalance", "white
   balance", "end credits", "upload to Instagram" stay edits). A negated intent
   ("don't export yet", "先别导出", "別匯出") is dropped.
5. **Clauses**: split at connectors (and/then/after that/, /然后/再/接着…; in Chinese
   also right before an export word: "裁剪成方形导出"). Each clause is an intent
   (its first phrase wins: "do I have enough credits to export" is ``credits``), an
   upload, or edit text. Adjacent edit text is sent as *one* ``sse`` step, cut from
   the original utterance.

Decisions worth knowing:

- Upload steps come first, in the order the files appear (they must exist before
  an edit can use them); other steps keep the order the user said them, except that
  "before exporting, add a fade" / "导出之前先加水印" / "export, but first add a
  watermark" run the edit first. Each intent runs at most once per utterance.
- A file named inside an edit ("put ~/music.mp3 as background music") is uploaded,
  and the edit refers to it by its file name: ``sse put music.mp3 as background music``.
- "upload" with no file anywhere gives ``Step("upload", "")``: the host asks which
  file (or uses files attached to the message).
- If negation leaves nothing to do ("don't export"), ``route`` returns ``[]``; the
  host acknowledges without calling the backend. ``route("")`` is ``[]`` too. A
  negated clause that says more ("add music without exporting") goes to the editor
  whole. Chit-chat next to a command ("looks great, export it") is dropped; alone
  ("thanks!") it is sent to the editor like any other text.
- The original file spelling is kept: upload paths are absolute (``~`` expanded,
  relative to the working directory) and the edit text is the user's own characters
  (Traditional, full-width and all).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from .filetokens import QUOTED, Exists, FileToken, Orig, find_files, normalize

__all__ = ["Step", "format_steps", "route"]

TABLE_PATH = Path(__file__).resolve().parent / "data" / "intents.yaml"
Action = Literal["upload", "credits", "state", "export", "sse"]
INTENTS: tuple[Action, ...] = ("export", "credits", "state", "upload")
_BY_NAME: dict[str, Action] = {name: name for name in INTENTS}

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORDS = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Step:
    """One thing to do. ``arg``: the absolute path or URL for ``upload`` (``""`` when
    the user asked to upload without naming a file), the text for ``sse``."""

    action: Action
    arg: str = ""


def format_steps(steps: list[Step]) -> str:
    """One line per step, e.g. ``upload /abs/a.mp4`` / ``sse crop it to square``."""
    lines = []
    for step in steps:
        arg = " ".join(step.arg.split()) if step.action == "sse" else step.arg
        lines.append(f"{step.action} {arg}" if arg else step.action)
    return "\n".join(lines)


# --------------------------------------------------------------------- the table
@dataclass(frozen=True)
class _Table:
    trans: dict[int, str]
    intent_re: re.Pattern[str]
    guard_re: re.Pattern[str]
    neg_before: re.Pattern[str]
    neg_after: re.Pattern[str]
    connector_re: re.Pattern[str]
    marker_re: re.Pattern[str]
    strong_re: re.Pattern[str]
    filler_re: re.Pattern[str]
    defer_before: re.Pattern[str]
    defer_after: re.Pattern[str]
    first_re: re.Pattern[str]


def _bounded(fragment: str, trailing: bool = True) -> str:
    """Wrap an English fragment in ASCII word boundaries (Chinese has no spaces)."""
    if _HAS_CJK.search(fragment):
        return f"(?:{fragment})"
    tail = "(?![A-Za-z0-9])" if trailing else ""
    return f"(?<![A-Za-z0-9])(?:{fragment}){tail}"


def _alts(fragments: list[str], bounded: bool = True, trailing: bool = True) -> str:
    return "|".join(_bounded(f, trailing) if bounded else f"(?:{f})" for f in fragments)


def _intent_pattern(intents: dict[str, Any]) -> str:
    """One regex for every phrase; group ``<intent>`` or ``<intent>_zh`` names the hit.

    The English word boundary is checked once for all English phrases rather than
    once per phrase: most positions in a sentence are then rejected in one step.
    """
    en, zh = [], []
    for name in INTENTS:
        phrases = [str(p) for p in intents[name]["phrases"]]
        for p in phrases:
            if re.compile(p).groups:
                raise ValueError(f"intents.yaml: use (?:…) not (…) in {p!r}")
        en_p = [p for p in phrases if not _HAS_CJK.search(p)]
        zh_p = [p for p in phrases if _HAS_CJK.search(p)]
        if en_p:
            en.append(f"(?P<{name}>{'|'.join(f'(?:{p})' for p in en_p)})")
        if zh_p:
            zh.append(f"(?P<{name}_zh>{'|'.join(f'(?:{p})' for p in zh_p)})")
    return (f"(?<![A-Za-z0-9])(?:{'|'.join(en)})(?![A-Za-z0-9])"
            f"|(?=[{_CJK}])(?:{'|'.join(zh)})")


@lru_cache(maxsize=1)
def _table() -> _Table:
    data: dict[str, Any] = yaml.safe_load(TABLE_PATH.read_text(encoding="utf-8"))
    pairs = str(data.get("traditional") or "").split()
    trans = {ord(p[0]): p[1] for p in pairs if len(p) == 2 and p[0] != p[1]}
    intents: dict[str, Any] = data["intents"]
    phrase_alts = {name: _alts(list(intents[name]["phrases"])) for name in INTENTS}
    guards = [g for name in INTENTS for g in intents[name].get("not") or []]

    def expand(fragment: str) -> str:
        for name in INTENTS:
            fragment = fragment.replace("{" + name + "}", phrase_alts[name])
        return fragment

    neg: dict[str, Any] = data["negation"]
    word = r"(?!(?:and|then|but|or)\b)[a-z'’-]+"
    gap = int(neg.get("gap_words", 3))
    en_before = f"(?<![A-Za-z0-9])(?:{_alts(neg['en_before'], False)})(?:\\s+{word}){{0,{gap}}}\\s+$"
    zh_before = f"(?:{_alts(neg['zh_before'], False)})(?:{_alts(neg['zh_gap'], False)})?$"
    flags = re.IGNORECASE
    return _Table(
        trans=trans,
        intent_re=re.compile(_intent_pattern(intents), flags),
        guard_re=re.compile(_alts(guards), flags),
        neg_before=re.compile(f"{en_before}|{zh_before}", flags),
        neg_after=re.compile(_alts(neg["after"], False), flags),
        connector_re=re.compile("|".join(f"(?:{expand(c)})" for c in data["connectors"]), flags),
        marker_re=re.compile(_alts(data["content_markers"], trailing=False), flags),
        strong_re=re.compile(_alts(data["strong_boundaries"], False), flags),
        filler_re=re.compile(_alts(data["fillers"]), flags),
        defer_before=re.compile(f"(?:{_alts(data['defer']['before'])})$", flags),
        defer_after=re.compile(_alts(data["defer"]["after"], False), flags),
        first_re=re.compile(_alts(data["first"]), flags),
    )


# --------------------------------------------------------------------- routing
@dataclass
class _Unit:
    """One intent phrase, with the negation or "before …" around it."""

    intent: Action
    start: int        # including a negation prefix
    kw_start: int
    end: int          # including a negation/defer suffix
    negated: bool = False
    defer: bool = False


@dataclass
class _Clause:
    start: int
    end: int
    kind: str                 # step | edit | file | soft
    text: str = ""
    step: Step | None = None
    defer: bool = False
    listing: bool = False     # "upload ~/a.mp4, ~/b.mov": later files join the upload


def _overlaps(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < b and e > a for a, b in spans)


def _protected(norm: str, t: _Table) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in QUOTED.finditer(norm)]
    for m in t.marker_re.finditer(norm):
        if _overlaps(m.start(), m.end(), spans):
            continue
        stop = t.strong_re.search(norm, m.end())
        spans.append((m.end(), stop.start() if stop else len(norm)))
    return spans


def _units(norm: str, t: _Table, hits: list[re.Match[str]],
           masked: list[tuple[int, int]]) -> list[_Unit]:
    guards = [(m.start(), m.end()) for m in t.guard_re.finditer(norm)]
    units: list[_Unit] = []
    for m in hits:
        s, e = m.start(), m.end()
        if _overlaps(s, e, masked) or any(a <= s and e <= b for a, b in guards):
            continue
        unit = _Unit(_BY_NAME[str(m.lastgroup).removesuffix("_zh")], s, s, e)
        before = norm[max(0, s - 60):s]
        neg = t.neg_before.search(before)
        if neg:
            unit.start, unit.negated = s - len(before) + neg.start(), True
        after = t.neg_after.match(norm, e)
        if after:
            unit.end, unit.negated = after.end(), True
        if not unit.negated:
            later = t.defer_after.match(norm, e)
            if later:
                unit.end, unit.defer = later.end(), True
            elif t.defer_before.search(before):
                unit.defer = True
        units.append(unit)
    return units


def _clauses(norm: str, t: _Table, keep: list[tuple[int, int]],
             units: list[_Unit]) -> list[tuple[int, int]]:
    """Clause spans between connectors (never inside files, quotes or intent phrases)."""
    defer_ends = {u.end for u in units if u.defer}  # "导出之前|先加水印"
    bounds = [(e, e) for e in defer_ends]
    for m in t.connector_re.finditer(norm):
        s, e = m.start(), m.end()
        if _overlaps(s, max(e, s + 1), keep):
            continue
        if any(u.start < s < u.end or (s < u.end and e > u.start and e > s) for u in units):
            continue
        bounds.append((s, e))
    clauses: list[tuple[int, int]] = []
    pos = 0
    for s, e in sorted(bounds):
        if s == e and s not in defer_ends and any(
                pos <= u.kw_start < s and not u.negated for u in units):
            continue  # "积分够不够导出": the split before 导出 is for edits, not intents
        if s >= pos:
            clauses.append((pos, s))
            pos = max(e, s)
    clauses.append((pos, len(norm)))
    return [(s, e) for s, e in clauses if e > s]


def _is_filler(norm: str, s: int, e: int, holes: list[tuple[int, int]], t: _Table) -> bool:
    chars = list(norm[s:e])
    for a, b in holes:
        for i in range(max(a, s), min(b, e)):
            chars[i - s] = " "
    rest = t.filler_re.sub(" ", "".join(chars))
    return not _WORDS.search(rest)


def _clean(text: str) -> str:
    return text.strip().strip(",，;；:：、-–— \t\r\n").strip()


def _edit_text(orig: Orig, s: int, e: int, files: list[FileToken],
               drop: list[tuple[int, int]]) -> str:
    """Original text of [s, e) with files named by their names and ``drop`` spans cut."""
    pieces: list[str] = []
    pos = s
    edits = sorted([(f.start, f.end, f.name) for f in files if s <= f.start < e]
                   + [(a, b, "") for a, b in drop if s <= a < e])
    for a, b, repl in edits:
        if a < pos:
            continue
        pieces.append(orig.text(pos, a))
        pieces.append(repl)
        pos = min(b, e)
    pieces.append(orig.text(pos, e))
    out = "".join(pieces)
    if drop:
        out = re.sub(r"[ \t]{2,}", " ", out)
    return out


def route(utterance: str, *, exists: Callable[[str], bool] = os.path.isfile) -> list[Step]:
    """Plan the steps for one utterance (see the module docstring for the rules)."""
    text = utterance if isinstance(utterance, str) else str(utterance)
    try:
        return _edit_then_export(text, _route(text, exists))
    except RecursionError:  # pathological input: treat it as plain edit text
        return [Step("sse", text.strip())] if text.strip() else []


def _edit_then_export(utterance: str, steps: list[Step]) -> list[Step]:
    """"export as a Reel and a square post", "export it for Instagram": the whole sentence
    is the edit (the local engine records the formats or makes it Instagram-ready; the
    cloud gets the words unchanged), then the export — not an export of the current shape
    followed by a reframe to the last format named. A target named alone ("export for
    stories") keeps its own path (the host reframes for it)."""
    if not any(s.action == "export" for s in steps) or \
            any(s.action not in ("export", "sse") for s in steps):
        return steps
    from .formats import formats_in, goal_in

    several = formats_in(utterance) is not None
    if not several and (any(s.action == "sse" for s in steps) or not goal_in(utterance)):
        return steps
    if not several:
        from .targets import named_target

        if named_target(utterance):
            return steps
    return [Step("sse", utterance.strip()), Step("export")]


def _route(utterance: str, exists_fn: Callable[[str], bool]) -> list[Step]:
    if not utterance.strip():
        return []
    t = _table()
    norm, orig = normalize(utterance, t.trans)
    files, missing = find_files(norm, orig, Exists(exists_fn))
    hits = list(t.intent_re.finditer(norm))
    if not hits and not files:  # the common case: an edit instruction
        return [Step("sse", utterance.strip())]
    file_spans = [(f.start, f.end) for f in files + missing]
    protected = [p for p in _protected(norm, t) if not _overlaps(*p, file_spans)]
    units = _units(norm, t, hits, protected + file_spans)
    if not units and not files:
        return [Step("sse", utterance.strip())]
    plan, uploads = _plan(norm, orig, t, units, files, missing,
                          _clauses(norm, t, protected + file_spans, units))
    return _assemble(plan, uploads, orig, t)


@dataclass
class _Uploads:
    steps: list[Step] = field(default_factory=list)
    asked: bool = False     # the user said "upload" somewhere


def _plan(norm: str, orig: Orig, t: _Table, units: list[_Unit], files: list[FileToken],
          missing: list[FileToken], clauses: list[tuple[int, int]]
          ) -> tuple[list[_Clause], _Uploads]:
    """Classify each clause: an intent step, edit text, a named file, or nothing."""
    plan: list[_Clause] = []
    uploads = _Uploads()
    for cs, ce in clauses:
        c_units = [u for u in units if cs <= u.kw_start < ce]
        active = [u for u in c_units if not u.negated]
        c_files = [f for f in files if cs <= f.start < ce]
        first = active[0] if active else None
        if first and first.intent == "upload" and not c_files:
            c_files = [f for f in missing if cs <= f.start < ce]
        uploads.steps.extend(Step("upload", f.path) for f in c_files)
        holes = [(u.start, u.end) for u in c_units] + [(f.start, f.end) for f in c_files]
        plain = _edit_text(orig, cs, ce, c_files, [])
        if first and first.intent != "upload":
            plan.append(_Clause(cs, ce, "step", step=Step(first.intent), defer=first.defer))
        elif first or c_files:
            uploads.asked = uploads.asked or first is not None
            if not c_files:  # "I want to upload a video": the rest is how they asked
                plan.append(_Clause(cs, ce, "step"))
            elif not _is_filler(norm, cs, ce, holes, t):
                cut = [(u.start, u.end) for u in c_units if u.intent == "upload"]
                plan.append(_Clause(cs, ce, "edit", _edit_text(orig, cs, ce, c_files, cut)))
            else:  # just the file(s): part of an edit next to it, else only an upload
                listed = bool(plan) and plan[-1].kind == "soft" and plan[-1].listing
                plan.append(_Clause(cs, ce, "soft" if first or listed else "file", plain,
                                    listing=True))
        else:  # plain edit text, or only negated intents ("don't export yet")
            kind = "soft" if _is_filler(norm, cs, ce, holes, t) else "edit"
            plan.append(_Clause(cs, ce, kind, plain))
    return plan, uploads


def _assemble(plan: list[_Clause], uploads: _Uploads, orig: Orig, t: _Table) -> list[Step]:
    """Uploads first; then intents and merged edit runs in the order they were said."""
    steps: list[Step] = []
    for upload in uploads.steps or ([Step("upload")] if uploads.asked else []):
        if upload not in steps:
            steps.append(upload)
    pending: list[Step] = []   # "before exporting, …": runs after the next edit
    run: list[_Clause] = []
    after_step = False

    def flush() -> None:
        nonlocal after_step
        has_edit = any(c.kind == "edit" for c in run)
        idx = [i for i, c in enumerate(run) if c.kind == "edit" or (c.kind == "file" and has_edit)]
        if idx:
            pieces = [run[idx[0]].text]
            for i in range(idx[0] + 1, idx[-1] + 1):
                pieces.append(orig.text(run[i - 1].end, run[i].start))  # the connector
                pieces.append(run[i].text)
            text = _clean("".join(pieces))
            if text:
                edit = Step("sse", text)
                if after_step and t.first_re.match(text):  # "export, but first add …"
                    steps.insert(len(steps) - 1, edit)
                else:
                    steps.append(edit)
                steps.extend(pending)
                pending.clear()
                after_step = False
        run.clear()

    done: set[str] = set()
    for clause in plan:
        if clause.kind != "step":
            run.append(clause)
            continue
        flush()
        step = clause.step
        if step is not None and step.action not in done:
            done.add(step.action)
            (pending if clause.defer else steps).append(step)
            after_step = not clause.defer
    flush()
    steps.extend(pending)
    return steps
