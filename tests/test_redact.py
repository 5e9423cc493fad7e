from __future__ import annotations

import pytest

from skill.redact import redact, register_secret


@pytest.mark.parametrize("text", [
    "token nmv_usr_8f7a6b5c4d3e2f1a is yours",
    "Authorization: Bearer nmv_usr_8f7a6b5c4d3e2f1a",
    "bearer abc.def.ghi-jkl",
    "NEMO_TOKEN=whatever-it-is",
    'data: {"token": "tok_123456789"}',
    "claim link ?ct=clm_abcdef123",
    "key sk-ant-api03-abcdefghijkl",
])
def test_tokens_never_survive(text: str) -> None:
    out = redact(text)
    for secret in ("8f7a6b5c4d3e2f1a", "abc.def.ghi", "whatever-it-is", "tok_123456789",
                   "clm_abcdef123", "sk-ant-api03"):
        assert secret not in out


def test_env_token_and_registered_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "plain-looking-value-42")
    assert "plain-looking-value-42" not in redact("got plain-looking-value-42 back")
    register_secret("runtime-secret-xyz")
    assert "runtime-secret-xyz" not in redact("x runtime-secret-xyz y")


def test_raw_json_is_hidden() -> None:
    assert redact('{"code": 1001, "message": "bad", "data": null}') == "[details hidden]"
    out = redact('Server said {"code": 2001, "data": {"x": 1}} sorry')
    assert "{" not in out and "Server said" in out and "sorry" in out
    assert redact("[1, 2]") == "[details hidden]"


def test_ordinary_text_untouched() -> None:
    for text in ("Saved out.mp4 (4.2 MB).", "Timeline (1 track): 1. Video: a.mp4 (0-10s)",
                 'Title "Urban Dreams" [0-3s] {nice}', "完成！已添加标题“城市之梦”（0-3s）。",
                 "Use the bearer of good news"):
        assert redact(text) == text
