"""The text of one streamed edit turn: assembled, cut at sentence ends, GUI phrases
translated (:func:`skill.gui.translate`), the GUI actions they named collected."""

from __future__ import annotations

import re
from typing import Any

from .events import Event, TextAssembler

_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])\s+|(?<=[。！？])|\n+")


class TurnText:
    """Feed text events in; take out whole translated sentences to show.

    Only whole sentences are let out, so a GUI phrase split across streamed chunks
    ("Click " | "the Export button") is translated as one.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.assembler = TextAssembler()
        self.buffer = ""
        self.shown = False               # some text was shown this turn
        self.actions: list[Any] = []     # GUI actions named by the text, in order
        #: what the engine reports as done / not done (``OUTCOME_KEY`` state delta)
        self.outcome: dict[str, Any] | None = None

    def feed(self, event: Event) -> list[str]:
        self.buffer += self.assembler.feed(event)
        return self.flush(final=not event.partial)

    def flush(self, *, final: bool) -> list[str]:
        """The translated text ready to show (all of it when ``final``)."""
        from .gui import translate

        if final:
            cut = len(self.buffer)
        else:
            ends = [m.end() for m in _SENTENCE_END.finditer(self.buffer)]
            cut = ends[-1] if ends else 0
        out, self.buffer = self.buffer[:cut].strip(), self.buffer[cut:]
        if not out:
            return []
        tr = translate(out, self.lang)
        self.actions.extend(tr.actions)
        text = tr.text.strip()
        if not text:
            return []
        self.shown = True
        return [text]


__all__ = ["TurnText"]
