"""Speech analysis: voice activity, loudness, words with times (faster-whisper).

* :mod:`.analysis` — the data (:class:`Analysis`, :class:`Word`) and pure functions
  (loudness, pauses to cut, fillers, phrase search, error rates).
* :mod:`.formats` — transcripts as text, SRT, VTT, JSON; caption lines.
* :mod:`.model` — which model runs (``IGEDIT_SPEECH_MODEL`` > a packaged model > download).
* :mod:`.transcribe` — decode + VAD + model (imports faster-whisper lazily).
* :mod:`.store` — cached by content, made in the background at upload.

Nothing heavy is imported by importing this package.
"""

from __future__ import annotations

from .analysis import Analysis, Word

__all__ = ["Analysis", "Word"]
