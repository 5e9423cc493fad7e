"""Speech fixtures for the tests: the committed espeak-ng clips (fixtures/speech/), their
truth, and the real model's analysis of each, made once per test session and copied
into each test's IGEDIT_HOME (the cache a background analysis would have left)."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from skill.engine.speech.analysis import Analysis
from skill.engine.speech.store import cache_path, save

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "speech"


def clip(name: str) -> Path:
    return FIXTURES / f"{name}.mp4"


def truth(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


@cache
def analysis(name: str) -> Analysis:
    """The real model's analysis of a fixture (once per session)."""
    from skill.engine.speech.transcribe import analyse_file

    return analyse_file(clip(name))


def seed(home: Path, *names: str) -> None:
    """Put the fixtures' analyses in ``home``'s speech cache."""
    for name in names:
        save(cache_path(clip(name), home / "speech"), analysis(name))


def copy_clip(name: str, dest: Path) -> Path:
    out = dest / f"{name}.mp4"
    shutil.copyfile(clip(name), out)
    return out
