"""The folders ``igedit install`` wrote, kept in ``IGEDIT_HOME/installs.json``.

Platform rule 6 (:mod:`skill.platform`) counts them wherever they are, so a project-level
install names its host even when igedit runs in another folder. Recording is best effort:
an install that worked is not failed by an unwritable state folder.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SkillError

DOC = "installs"


def remember(folder: Path) -> None:
    from .store import Store

    try:
        with Store().update(DOC) as doc:
            folders = [f for f in doc.get("folders", []) if isinstance(f, str)]
            doc["folders"] = sorted({*folders, str(folder)})
    except SkillError:
        pass


def forget(folder: Path) -> None:
    from .store import Store

    try:
        with Store().update(DOC) as doc:
            doc["folders"] = [f for f in doc.get("folders", []) if f != str(folder)]
    except SkillError:
        pass


def recorded() -> tuple[str, ...]:
    """The recorded folders (those since removed are filtered out by the platform rule)."""
    from .store import Store

    try:
        folders = Store().read(DOC).get("folders", [])
    except SkillError:
        return ()
    return tuple(f for f in folders if isinstance(f, str)) if isinstance(folders, list) else ()


__all__ = ["DOC", "forget", "recorded", "remember"]
