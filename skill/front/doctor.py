"""``igedit doctor``: one fact per line, then checks with a hint for each failure."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SkillError
from ..templates import render
from .output import Printer


def doctor(args: argparse.Namespace) -> int:
    from ..backends import api_base, cloud_reachable, requested_kind
    from ..manifest import load_manifest
    from ..store import Store

    lang = getattr(args, "lang", None) or "en"
    p = Printer(json_mode=bool(getattr(args, "json", False)))
    failures = 0
    try:
        m = load_manifest()
    except SkillError as exc:
        p.line(render(exc.key, lang, **exc.ctx))
        return 1
    store = Store()
    p.line(f"skill: {m.name} {m.version}")
    p.line(f"platform: {m.platform}")
    p.line(f"platform_rule: {m.platform_rule}")
    p.line(f"skill_dir: {m.skill_dir}")
    p.line(f"home: {store.home}")
    try:
        kind = requested_kind(getattr(args, "backend", None))
    except SkillError as exc:
        p.line(render(exc.key, lang, **exc.ctx))
        return 1
    p.line(f"backend: {kind}")
    p.line(f"api: {api_base()}")

    def check(name: str, ok: bool, detail: str, hint_key: str, *, fatal: bool = True) -> None:
        nonlocal failures
        if ok:
            p.line(f"ok   {name}: {detail}")
        else:
            failures += 1 if fatal else 0
            p.line(f"FAIL {name}: {detail} — {render(hint_key, lang)}")

    try:
        from ..engine.render.ffmpeg import ffmpeg_exe

        check("ffmpeg", True, ffmpeg_exe(), "doctor_hint_ffmpeg")
    except (SkillError, ImportError) as exc:
        detail = exc.ctx.get("detail", "") if isinstance(exc, SkillError) else ""
        check("ffmpeg", False, detail or "not found", "doctor_hint_ffmpeg")
    try:
        from ..engine.render.fonts import find_font

        font = find_font("城市 Urban")
        check("font", True, f"{font.family} ({font.path})", "doctor_hint_font")
    except (SkillError, ImportError) as exc:
        detail = exc.ctx.get("detail", "") if isinstance(exc, SkillError) else ""
        check("font", False, detail or "none found", "doctor_hint_font")
    check("home", *_home_writable(store.home, lang), "doctor_hint_home")
    p.line(f"previews: {_proxies(store.home / 'proxies')}")
    p.line(f"speech: {_speech()}")
    p.line(f"vision: {_vision()}")
    reachable = cloud_reachable(api_base(), timeout=3.0, headers=m.headers())
    # The cloud being unreachable is not fatal: the local engine works offline.
    check("cloud", reachable, "reachable" if reachable else "unreachable", "doctor_hint_cloud",
          fatal=False)
    return 1 if failures else 0


def _home_writable(home: Path, lang: str) -> tuple[bool, str]:
    """Whether a file can really be written in the home (created if missing): mode bits
    say nothing as root, on a read-only mount or on a full disk."""
    from ..fsfaults import probe_writable, reason
    from ..private import private_dir

    try:
        private_dir(home)
        problem = probe_writable(home)
    except OSError as exc:
        problem = exc
    detail = render("doctor_home_detail", lang, ok=problem is None,
                    reason=reason(problem) if problem else "")
    return problem is None, detail
def _speech() -> str:
    """The speech model in use (see ``skill.engine.speech.model``), or what is missing."""
    from ..engine.speech.model import describe, models_dir

    try:
        return describe(models_dir())
    except OSError as exc:
        return f"unavailable ({exc})"


def _vision() -> str:
    """The subject detectors in use (see ``skill.engine.vision.detect``), or what is missing."""
    from ..engine.vision.detect import describe

    return describe()


def _proxies(folder: Path) -> str:
    """Whether preview proxies are made, and what the cache holds."""
    from ..engine.render.proxy import ENV, enabled
    from ..media import human_size

    if not enabled():
        return f"proxies off ({ENV}=0)"
    try:
        sizes = [f.stat().st_size for f in folder.glob("*.mp4")]
    except OSError:
        sizes = []
    clips = "1 clip" if len(sizes) == 1 else f"{len(sizes)} clips"
    return f"proxies on ({clips}, {human_size(sum(sizes))} cached in {folder})"
