"""Colour looks that compose: "vivid and brighter and warm" is one look, ``vivid+bright+warm``.

A look value is a ``+``-joined set of parts in a fixed order (:data:`ORDER`): at most one
tone (``warm``, ``cool`` or ``bw``) plus ``vivid`` and/or ``bright``. Parts that cannot
both apply (warm vs cool, black & white vs any colour) are resolved by the later
request, and :func:`compose` says which part lost so the reply can tell the user.
"""

from __future__ import annotations

from itertools import product

ORDER = ("vivid", "bright", "warm", "cool", "bw")
TONES = ("warm", "cool", "bw")


def parts(look: str | None) -> list[str]:
    return [p for p in str(look or "").split("+") if p in ORDER]


def join(items: list[str]) -> str:
    return "+".join(p for p in ORDER if p in items)


def compose(current: str | None, new: str) -> tuple[str, list[str]]:
    """``current`` plus ``new`` → (the combined look, the parts ``new`` displaced)."""
    if new == "none":
        return "none", []
    have = [p for p in parts(current) if p != "none"]
    dropped: list[str] = []
    for part in parts(new):
        if part in TONES:
            dropped += [p for p in have if p in TONES and p != part]
            have = [p for p in have if p not in TONES]
        if part == "bw":
            dropped += [p for p in have if p == "vivid"]
            have = [p for p in have if p != "vivid"]
        if part == "vivid" and "bw" in have:
            dropped.append("bw")
            have.remove("bw")
        if part not in have:
            have.append(part)
    return join(have), dropped


def valid_looks() -> list[str]:
    """Every look value an op may carry (single parts first, then the combinations)."""
    out = ["warm", "cool", "bw", "vivid", "bright", "none"]
    for tone, vivid, bright in product((None, *TONES), (False, True), (False, True)):
        items = [p for p, on in (("vivid", vivid), ("bright", bright)) if on]
        if tone:
            items.append(tone)
        if len(items) < 2 or (tone == "bw" and vivid):
            continue
        out.append(join(items))
    return out


__all__ = ["ORDER", "compose", "join", "parts", "valid_looks"]
