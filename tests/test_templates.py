from __future__ import annotations

import re
from pathlib import Path

import pytest

from skill import templates
from skill.templates import keys, render

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CTX = {
    "detail": "d", "file": "a.mp4", "found": ".exe", "size": "600 MB", "code": 4001,
    "register_url": "https://nemovideo.com/register?bind=anon_1", "registered": False,
    "home": "/h", "backend": "local", "path": "/o.mp4", "count": 1, "items": ["a.mp4"],
    "changes": ["canvas is now 1:1"], "summary": "Timeline (0 tracks): empty", "text": "t",
    "label": "render", "percent": 50, "moved_to": "/x", "folder": "/f", "seconds": "10",
    "available": 1, "frozen": 0, "total": 1, "changed": False, "job": "r1",
}


def test_every_key_exists_in_both_languages() -> None:
    en, zh = keys("en"), keys("zh")
    assert en == zh, f"missing in zh: {sorted(en - zh)}; missing in en: {sorted(zh - en)}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_template_renders(lang: str) -> None:
    for key in sorted(keys(lang)):
        text = render(key, lang, **SAMPLE_CTX)
        assert text.strip(), key
        assert "{{" not in text and "{%" not in text, key
        if lang == "zh" and key not in {"backend_text", "error_input", "progress_line"}:
            assert re.search(r"[\u4e00-\u9fff]", text), f"{key} is not Chinese: {text}"


def test_error_table_rows_have_templates() -> None:
    for code in ("0", "1001", "1002", "2001", "4001", "4002", "400", "402", "429"):
        assert f"error_{code}" in keys("en")


def test_2001_anonymous_and_registered() -> None:
    anon = render("error_2001", "en", register_url="https://nemovideo.com/register?bind=anon_9")
    assert "https://nemovideo.com/register?bind=anon_9" in anon
    reg = render("error_2001", "en", registered=True)
    assert "Top up credits in your account" in reg
    assert "积分" in render("error_2001", "zh", registered=True)


def test_402_is_not_a_credits_problem() -> None:
    text = render("error_402", "en")
    assert "Register or upgrade your plan to unlock export" in text
    assert "not a credits problem" in text


def test_unknown_key_falls_back_to_generic() -> None:
    assert "Something went wrong" in render("no_such_key", "en")


def test_rendered_output_is_redacted() -> None:
    text = render("error_input", "en", detail="token nmv_usr_abcdef123456 leaked")
    assert "nmv_usr_abcdef123456" not in text


def test_prompts_dir_is_the_repository_one() -> None:
    assert templates.PROMPTS_DIR == ROOT / "prompts"
