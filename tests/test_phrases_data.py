"""The planner's small words come from skill/data/phrases.yaml: every word listed there
is read the way the file says (a synonym added there is understood, no code change)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from skill.engine.plan import phrases

DATA = yaml.safe_load((Path(phrases.__file__).resolve().parents[2] / "data" / "phrases.yaml")
                      .read_text(encoding="utf-8"))


@pytest.mark.parametrize(("word", "value"), sorted(DATA["numbers_en"].items()))
def test_every_number_word_is_a_number(word: str, value: float) -> None:
    assert phrases.parse_num(word) == value
    if " " not in word and value >= 1:
        assert phrases.time_ms(f"{word} seconds") == round(value * 1000)


def test_chinese_numerals() -> None:
    assert [phrases.parse_num(t) for t in ("三", "十五", "二十", "一百二十", "两", "一点五")] == \
        [3, 15, 20, 120, 2, 1.5]


@pytest.mark.parametrize(("unit", "word"), [(u, w) for u, ws in DATA["units"].items() for w in ws])
def test_every_unit_word_is_that_unit(unit: str, word: str) -> None:
    scale = {"ms": 1, "min": 60_000, "s": 1000}[unit]
    assert phrases.time_ms(f"3{word}") == 3 * scale
    assert phrases.time_ms(f"3 {word}") == 3 * scale


def test_a_fraction_is_not_minutes() -> None:
    assert phrases.unit_of("三分之一") is None and phrases.unit_of("三分钟") == "min"
    assert phrases.time_ms("1分30秒") == 90_000 and phrases.time_ms("三秒之内") == 3000


@pytest.mark.parametrize("joiner", DATA["joiners_en"] + DATA["joiners_zh"])
def test_every_joiner_cuts_two_instructions(joiner: str) -> None:
    text = f"add music {joiner} export" if joiner.isascii() else f"加音乐{joiner}导出"
    spans = phrases.split_clauses(text)
    assert [text[a:b].strip() for a, b in spans] == (
        ["add music", "export"] if joiner.isascii() else ["加音乐", "导出"])


@pytest.mark.parametrize("phrase", DATA["kept_together"])
def test_kept_together_phrases_are_one_clause(phrase: str) -> None:
    text = f"make it {phrase} please"
    assert len(phrases.split_clauses(text)) == 1
    assert len(phrases.split_clauses("cut between 0:05 and 0:10")) == 1
