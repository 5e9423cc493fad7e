"""igedit — Instagram Video Editor Desktop, an agent-skill runtime.

The version is the ``version`` in SKILL.md's frontmatter (see ``skill.manifest``);
``VERSION`` (used for the Python package metadata) is kept equal by a test.
"""

from __future__ import annotations

from pathlib import Path


def _version() -> str:
    # Cheap: read the frontmatter line directly; skill.manifest does the full parse.
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "SKILL.md", here / "data" / "SKILL.md"):
        try:
            with candidate.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("version:"):
                        return line.split(":", 1)[1].strip().strip("\"'")
        except OSError:
            continue
    try:
        from importlib.metadata import version

        return version("igedit")
    except Exception:  # noqa: BLE001 - metadata missing in a bare checkout
        return "0+unknown"


__version__ = _version()
__all__ = ["__version__"]
