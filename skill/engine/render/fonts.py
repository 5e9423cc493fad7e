"""Find a font on this machine for burned-in titles and captions (libass).

Order: ``IGEDIT_FONT`` (a font file or a folder of fonts); for text with CJK characters
the CJK font that ships in a pip package (:mod:`.glyphs`), so Chinese draws on any
machine; then ``fc-list`` when it is installed, then a scan of the standard font folders
of Linux, macOS and Windows; last the packaged fonts (a machine with no fonts at all).
Family names and CJK coverage are read from the font's own ``name`` and ``cmap``
tables (no dependencies).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ...errors import ConfigError

FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_MAX_SCAN = 4000

#: families known to cover CJK (matched case-insensitively as substrings), best first;
#: other fonts count as CJK-capable when their cmap maps common Han characters
CJK_FAMILIES = ("noto sans cjk", "source han sans", "noto sans sc", "noto sans tc",
                "noto sans jp", "noto sans kr", "wenquanyi zen hei", "wenquanyi micro hei",
                "pingfang", "microsoft yahei", "hiragino sans", "droid sans fallback",
                "noto serif cjk", "source han serif", "ar pl", "simhei", "simsun",
                "heiti", "songti", "yu gothic", "meiryo", "malgun gothic", "apple sd gothic")
#: good general-purpose sans families, best first
SANS_FAMILIES = ("noto sans", "dejavu sans", "liberation sans", "arial", "helvetica neue",
                 "helvetica", "roboto", "open sans", "ubuntu", "cantarell", "segoe ui",
                 "verdana", "freesans")
_BAD_FAMILY = re.compile(r"mono|serif|symbol|emoji|math|icons?|dingbat|braille|condensed",
                         re.I)
_BAD_STYLE = re.compile(r"italic|oblique|light|thin|condensed|narrow|black", re.I)

_CJK_RE = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
                     "\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")


@dataclass(frozen=True)
class Font:
    """A font file, the family name libass must be given, and whether it covers CJK."""

    path: Path
    family: str
    cjk: bool
    style: str = ""


def has_cjk(text: str) -> bool:
    """True when ``text`` contains Chinese, Japanese or Korean characters."""
    return bool(_CJK_RE.search(text or ""))


# ------------------------------------------------------------------ sfnt tables

def _table_dir(data: bytes) -> dict[bytes, tuple[int, int]]:
    base = 0
    if data[:4] == b"ttcf":   # a collection: use its first font
        base = struct.unpack(">I", data[12:16])[0]
    num = struct.unpack(">H", data[base + 4:base + 6])[0]
    tables: dict[bytes, tuple[int, int]] = {}
    for i in range(num):
        rec = base + 12 + 16 * i
        tag, _chk, off, length = struct.unpack(">4sIII", data[rec:rec + 16])
        tables[tag] = (off, length)
    return tables


def _names(data: bytes, off: int) -> dict[int, str]:
    _fmt, count, str_off = struct.unpack(">HHH", data[off:off + 6])
    found: dict[int, tuple[int, str]] = {}
    for i in range(count):
        rec = off + 6 + 12 * i
        plat, enc, lang, name_id, length, s_off = struct.unpack(">6H", data[rec:rec + 12])
        raw = data[off + str_off + s_off: off + str_off + s_off + length]
        if plat == 3 or plat == 0:
            text, rank = raw.decode("utf-16-be", "replace"), (2 if lang == 0x409 else 1)
        elif plat == 1 and enc == 0:
            text, rank = raw.decode("mac_roman", "replace"), 0
        else:
            continue
        if name_id not in found or rank > found[name_id][0]:
            found[name_id] = (rank, text)
    return {k: v[1] for k, v in found.items()}


#: common Han characters a CJK-capable font must map (的, 中, 城, 梦)
_CJK_PROBES = (0x7684, 0x4E2D, 0x57CE, 0x68A6)


def _cmap_covers(data: bytes, off: int, codepoints: Sequence[int]) -> bool:
    """True when the font's Unicode cmap (format 4 or 12) maps every codepoint."""
    _ver, num = struct.unpack(">HH", data[off:off + 4])
    subtables = []
    for i in range(num):
        plat, enc, sub_off = struct.unpack(">HHI", data[off + 4 + 8 * i: off + 12 + 8 * i])
        if (plat, enc) in ((3, 1), (3, 10), (0, 3), (0, 4), (0, 6)):
            subtables.append(off + sub_off)
    for sub in subtables:
        fmt = struct.unpack(">H", data[sub:sub + 2])[0]
        if fmt == 12:
            n_groups = struct.unpack(">I", data[sub + 12:sub + 16])[0]
            groups = [struct.unpack(">III", data[sub + 16 + 12 * g: sub + 28 + 12 * g])
                      for g in range(n_groups)]
            if all(any(a <= cp <= b and gid + cp - a for a, b, gid in groups)
                   for cp in codepoints):
                return True
        elif fmt == 4:
            seg2 = struct.unpack(">H", data[sub + 6:sub + 8])[0]
            ends = struct.unpack(f">{seg2 // 2}H", data[sub + 14:sub + 14 + seg2])
            starts = struct.unpack(f">{seg2 // 2}H", data[sub + 16 + seg2:sub + 16 + 2 * seg2])
            if all(any(a <= cp <= b for a, b in zip(starts, ends, strict=False))
                   for cp in codepoints if cp <= 0xFFFF):
                return True
    return False


def read_font(path: Path) -> Font | None:
    """Family, style and CJK coverage of one font file (None if it is not a font)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(4 * 1024 * 1024)   # the tables we need are near the start
        tables = _table_dir(data)
        if b"name" not in tables:
            return None
        names = _names(data, tables[b"name"][0])
        family = (names.get(1) or "").strip()
        if not family:
            return None
        cjk = any(key in family.lower() for key in CJK_FAMILIES)
        if not cjk and b"cmap" in tables:
            cjk = _cmap_covers(data, tables[b"cmap"][0], _CJK_PROBES)
        return Font(Path(path), family, cjk, (names.get(2) or "").strip())
    except (OSError, struct.error, IndexError, ValueError):
        return None


# ------------------------------------------------------------------ packaged fonts

#: (package, file inside it): the fonts pip installs with igedit, in fallback order
PACKAGED: tuple[tuple[str, str], ...] = (
    ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc"),
    ("manimgx_fonts", "NotoSans[wght].ttf"),
    ("manimgx_fonts", "NotoSansSymbols[wght].ttf"),
    ("manimgx_fonts", "NotoEmoji[wght].ttf"),
)


def _package_dir(package: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def packaged_fonts() -> tuple[Font, ...]:
    """The packaged fonts that are installed, in fallback order (CJK first)."""
    found: list[Font] = []
    for package, name in PACKAGED:
        folder = _package_dir(package)
        if folder is None:
            continue
        font = read_font(folder / name)
        if font is not None:
            found.append(font)
    return tuple(found)


def packaged_cjk() -> Font | None:
    """The packaged CJK font, when its package is installed."""
    return next((f for f in packaged_fonts() if f.cjk), None)


# ------------------------------------------------------------------ discovery

def standard_font_dirs() -> list[Path]:
    """The usual font folders of this platform, user folders first."""
    home = Path.home()
    if sys.platform == "darwin":
        return [home / "Library/Fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts"),
                Path("/System/Library/Fonts/Supplemental")]
    if sys.platform.startswith("win"):
        windir = Path(os.environ.get("WINDIR", r"C:\Windows"))
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData/Local"))
        return [local / "Microsoft/Windows/Fonts", windir / "Fonts"]
    xdg = Path(os.environ.get("XDG_DATA_HOME", home / ".local/share"))
    return [xdg / "fonts", home / ".fonts", Path("/usr/local/share/fonts"),
            Path("/usr/share/fonts")]


def _scan(dirs: Iterable[Path]) -> list[Font]:
    fonts: list[Font] = []
    seen = 0
    for folder in dirs:
        if not folder.is_dir():
            continue
        for root, _subdirs, files in os.walk(folder):
            for name in sorted(files):
                if not name.lower().endswith(FONT_SUFFIXES):
                    continue
                seen += 1
                if seen > _MAX_SCAN:
                    return fonts
                font = read_font(Path(root) / name)
                if font is not None:
                    fonts.append(font)
    return fonts


def _fc_list(cjk: bool) -> list[Font]:
    exe = shutil.which("fc-list")
    if not exe:
        return []
    args = [exe, "--format", "%{file}\t%{family[0]}\t%{style[0]}\n"]
    if cjk:
        args.insert(1, ":lang=zh")
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].lower().endswith(FONT_SUFFIXES) and parts[1]:
            family = parts[1]
            fonts.append(Font(Path(parts[0]), family,
                              cjk or any(k in family.lower() for k in CJK_FAMILIES),
                              parts[2] if len(parts) > 2 else ""))
    return fonts


def _score(font: Font, want_cjk: bool) -> tuple[int, int, int, int, str]:
    """Lower is better: CJK fit, CJK family rank, sans family rank, regular style, path."""
    fam = font.family.lower()
    sans = next((i for i, k in enumerate(SANS_FAMILIES) if fam.startswith(k)), 60)
    if _BAD_FAMILY.search(fam):
        sans += 30
    cjk_rank = 0
    if want_cjk and font.cjk:
        cjk_rank = next((i for i, k in enumerate(CJK_FAMILIES) if k in fam), 50)
    miss = 1 if want_cjk and not font.cjk else 0
    style = 0 if re.fullmatch(r"(regular|book|normal|roman|medium)?", font.style.lower()) else 1
    if _BAD_STYLE.search(font.style) or _BAD_STYLE.search(font.path.name):
        style = 2
    return (miss, cjk_rank, sans, style, str(font.path))


def pick_font(fonts: Sequence[Font], want_cjk: bool) -> Font | None:
    """The best of ``fonts`` for text that does (or does not) contain CJK."""
    usable = [f for f in fonts if f.path.suffix.lower() in FONT_SUFFIXES]
    return min(usable, key=lambda f: _score(f, want_cjk), default=None)


@lru_cache(maxsize=8)
def _discover(env: str, want_cjk: bool, dirs: tuple[Path, ...] | None) -> Font | None:
    if env:
        target = Path(env).expanduser()
        if target.is_file():
            font = read_font(target)
            if font is None:
                raise ConfigError(f"IGEDIT_FONT={env} is not a TrueType/OpenType font",
                                  key="error_no_font", path=env)
            return font
        if target.is_dir():
            return pick_font(_scan([target]), want_cjk)
        raise ConfigError(f"IGEDIT_FONT={env} does not exist", key="error_no_font", path=env)
    if dirs is None:
        packaged = packaged_cjk() if want_cjk else None
        if packaged is not None:
            return packaged
        candidates = _fc_list(want_cjk) if want_cjk else []
        if not candidates:
            candidates = _fc_list(False)
        if want_cjk and not any(f.cjk for f in candidates):
            candidates += [f for f in _scan(standard_font_dirs()) if f.cjk]
        if not candidates:
            candidates = _scan(standard_font_dirs())
        return pick_font(candidates or list(packaged_fonts()), want_cjk)
    return pick_font(_scan(dirs), want_cjk)


def install_hint() -> str:
    """The command that installs suitable fonts on this platform."""
    if sys.platform == "darwin":
        return "brew install --cask font-noto-sans font-noto-sans-cjk"
    if sys.platform.startswith("win"):
        return "install Noto Sans and Noto Sans CJK from https://fonts.google.com/noto"
    return "sudo apt install fonts-dejavu-core fonts-noto-cjk (Fedora: sudo dnf install dejavu-sans-fonts google-noto-sans-cjk-fonts)"


def find_font(text: str = "", *, dirs: Sequence[Path] | None = None) -> Font:
    """The font to burn ``text`` with: CJK-capable when ``text`` has CJK and one exists.

    ``dirs`` replaces the platform's font folders (tests). Raises :class:`ConfigError`
    (template ``error_no_font``) naming what to install when no font is found.
    """
    env = os.environ.get("IGEDIT_FONT", "").strip()
    font = _discover(env, has_cjk(text), tuple(dirs) if dirs is not None else None)
    if font is None:
        raise ConfigError("no usable font was found on this machine", key="error_no_font",
                          install=install_hint())
    return font
