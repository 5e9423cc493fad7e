"""Reading an utterance for the intent router: normalisation and the files it names.

Pure helpers for :mod:`skill.intents` (the only I/O is the injected ``exists``
predicate). Matching happens on a normalised copy (NFKC, Traditional → Simplified);
:class:`Orig` maps every normalised offset back, so paths and edit text are always
cut from what the user actually typed.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .backend import CAPTION_EXTENSIONS, SUPPORTED_EXTENSIONS

__all__ = ["QUOTED", "Exists", "FileToken", "Orig", "find_files", "normalize"]

_CJK_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MAX_EXISTS_CALLS = 64


class Orig:
    """The original utterance plus the map from normalised offsets back to it."""

    def __init__(self, text: str, index: list[int] | None) -> None:
        self.src = text
        self.index = index

    def text(self, s: int, e: int) -> str:
        """The original text behind the normalised span ``[s, e)``."""
        if e <= s:
            return ""
        if self.index is None:
            return self.src[s:e]
        last = len(self.index) - 1
        return self.src[self.index[min(s, last)]:self.index[min(e - 1, last)] + 1]


def normalize(text: str, trans: dict[int, str]) -> tuple[str, Orig]:
    """NFKC + ``trans`` (one character for one) per character, keeping the offset map."""
    if text.isascii():
        return text, Orig(text, None)
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        n = ch if ch < "\x80" else unicodedata.normalize("NFKC", ch).translate(trans)
        out.append(n)
        index.extend([i] * len(n))
    index.append(len(text))
    return "".join(out), Orig(text, index)


_EXTS = "|".join(sorted(set(SUPPORTED_EXTENSIONS) | set(CAPTION_EXTENSIONS), key=len, reverse=True))
QUOTED = re.compile(r"\"([^\"\n]+)\"|(?<![\w])'([^'\n]+)'(?![\w])|“([^”\n]+)”|‘([^’\n]+)’"
                     r"|「([^」\n]+)」|『([^』\n]+)』")
_URL = re.compile(r"https?://[!-~]+", re.IGNORECASE)
_RUN = re.compile(r"[^\s\"'“”‘’「」『』，。、；！？（）<>|]+")
_EXT_END = re.compile(rf"\.(?:{_EXTS})(?![A-Za-z0-9])", re.IGNORECASE)
_PATH_START = re.compile(r"~|\.{1,2}[/\\]|[/\\]|[A-Za-z]:[/\\]")
_MAYBE_FILE = re.compile(rf"[/\\~]|\.(?:{_EXTS})(?![A-Za-z0-9])|https?:", re.IGNORECASE)
_TRAIL = ".,;:!?)]}>'\"。，；：！？）"


@dataclass(frozen=True)
class FileToken:
    start: int           # span in the normalised text
    end: int
    path: str            # absolute path or URL
    name: str            # what the edit text calls it


class Exists:
    """The ``exists`` predicate, guarded (never raises) and bounded in calls."""

    def __init__(self, fn: Callable[[str], bool]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, path: str) -> bool:
        if not path or self.calls >= _MAX_EXISTS_CALLS:
            return False
        self.calls += 1
        try:
            return bool(self.fn(path))
        except Exception:  # a user-supplied predicate must not break routing
            return False


def _absolute(raw: str) -> str:
    try:
        return os.path.abspath(os.path.expanduser(raw))
    except (ValueError, OSError):
        return raw


def _file_candidates(raw: str) -> list[str]:
    out = [raw]
    if "\\ " in raw and os.sep == "/":
        out.insert(0, raw.replace("\\ ", " "))  # shell-escaped spaces from a drag-and-drop
    return out


def _try_file(raw: str, exists: Exists) -> str | None:
    for cand in _file_candidates(raw):
        path = _absolute(cand)
        if exists(path):
            return path
    return None


def _url_name(url: str) -> str:
    try:
        tail = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    except ValueError:
        return url
    return tail if "." in tail.strip(".") else url


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def find_files(norm: str, orig: Orig,
               exists: Exists) -> tuple[list[FileToken], list[FileToken]]:
    """Files the utterance names: ``(found, missing)``.

    ``found``: URLs, and quoted or bare paths ``exists`` accepts (also with unquoted
    spaces, ``\\ `` escapes, or glued to Chinese text: "上传a.mp4然后…"). ``missing``:
    media-looking tokens that do not exist, which an explicit "upload" still sends
    to the upload handler so the user hears "no such file".
    """
    found: list[FileToken] = []
    missing: list[FileToken] = []
    if not (_MAYBE_FILE.search(norm)):
        return found, missing
    taken: list[tuple[int, int]] = []
    maybe: list[FileToken] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def add(s: int, e: int, path: str, name: str, into: list[FileToken]) -> None:
        into.append(FileToken(s, e, path, name))
        taken.append((s, e))

    for m in _URL.finditer(norm):
        s, e = m.start(), m.end()
        while e > s and norm[e - 1] in _TRAIL:
            e -= 1
        url = orig.text(s, e)
        add(s, e, url, _url_name(url), found)
    for m in QUOTED.finditer(norm):
        if not free(m.start(), m.end()):
            continue
        g = next(i for i in range(1, 7) if m.group(i) is not None)
        raw = orig.text(m.start(g), m.end(g)).strip()
        path = _try_file(raw, exists)
        if path:
            add(m.start(), m.end(), path, os.path.basename(path) or raw, found)
    runs = [(m.start(), m.end()) for m in _RUN.finditer(norm)]
    for idx, (rs, re_) in enumerate(runs):
        if not free(rs, re_):
            continue
        ends = [m.end() for m in _EXT_END.finditer(norm, rs, re_)]
        ends_ext = bool(ends)
        if not ends and ("/" in norm[rs:re_] or "\\" in norm[rs:re_] or norm[rs] == "~"):
            e = re_
            while e > rs and norm[e - 1] in _TRAIL:
                e -= 1
            ends = [e]
        for end in ends:
            starts = [i for i in range(rs, end) if free(i, end) and (
                i == rs or _is_cjk(norm[i - 1]) or norm[i - 1] in ",;=:(")]
            if not starts:
                continue
            # an unquoted path with spaces: start at an earlier run that looks like a path
            earlier = [runs[j][0] for j in range(max(0, idx - 6), idx)
                       if _PATH_START.match(norm, runs[j][0]) and "\n" not in norm[runs[j][0]:rs]
                       and free(runs[j][0], rs)]
            hit = None
            for s in earlier + starts:
                if s >= end:
                    continue
                path = _try_file(orig.text(s, end), exists)
                if path:
                    hit = (s, path)
                    break
            if hit:
                s, path = hit
                add(s, end, path, os.path.basename(path), found)
                continue
            # not on disk: remember the ASCII tail ("上传a.mp4" → "a.mp4") as a candidate
            s = max(starts)
            while s < end and norm[s] in "([":
                s += 1
            raw = orig.text(s, end)
            if (_EXT_END.search(raw) and not raw.startswith(".")) or (
                    not ends_ext and _PATH_START.match(raw) and len(raw) > 2):
                maybe.append(FileToken(s, end, _absolute(raw), os.path.basename(raw)))
    # decided after every run, so "/x/My Videos/a.mp4" wins over its first word "/x/My"
    for f in maybe:
        if free(f.start, f.end):
            add(f.start, f.end, f.path, f.name, missing)
    return found, missing
