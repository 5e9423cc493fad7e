from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from skill.front.chat import ChatSession, dropped_files
from skill.front.output import Printer
from skill.runtime import Runtime
from skill.store import Store
from tests.fake_backend import ScriptedBackend


def session(tmp_path: Path) -> tuple[ChatSession, ScriptedBackend, io.StringIO]:
    holder: dict[str, ScriptedBackend] = {}

    def factory(notice: Any) -> ScriptedBackend:
        holder["b"] = ScriptedBackend(notice)
        return holder["b"]

    out = io.StringIO()
    rt = Runtime(factory, Store(), cwd=tmp_path)
    return ChatSession(rt, Printer(out=out, err=out)), holder["b"], out


def test_dropped_files_forms(tmp_path: Path) -> None:
    f = tmp_path / "My Clip.mov"
    f.write_bytes(b"x")
    assert dropped_files(f"'{f}'") == [str(f)]
    assert dropped_files(str(f).replace(" ", "\\ ")) == [str(f)]
    assert dropped_files(f"file://{tmp_path}/My\\ Clip.mov") == [str(f)]
    assert dropped_files("https://example.com/a.mp4") == ["https://example.com/a.mp4"]
    assert dropped_files(f"{f} please") is None
    assert dropped_files("make it square") is None


def test_a_dropped_absolute_path_uploads_not_a_command(tmp_path: Path) -> None:
    chat, be, out = session(tmp_path)
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"x")
    assert chat.handle_line(str(f))
    assert ("upload", [str(f)]) in be.calls
    assert "Uploaded 1 file: clip.mp4" in out.getvalue()
    chat.close()


def test_commands_and_words(tmp_path: Path) -> None:
    chat, be, out = session(tmp_path)
    assert chat.handle_line("/help")
    assert "/export [file]" in out.getvalue()
    assert chat.handle_line("/status")
    assert "Timeline (1 track): 1. Video: clip.mp4 (0-10s)" in out.getvalue()
    assert chat.handle_line("/bogus")
    assert "Unknown command /bogus" in out.getvalue()
    assert chat.handle_line("how many credits do I have left")
    assert "Credits: 85 available" in out.getvalue()
    assert chat.handle_line("查看轨道")
    assert chat.rt.lang == "zh"
    assert chat.handle_line("/lang en") and chat.rt.lang == "en"
    assert chat.handle_line(f"/export {tmp_path / 'o.mp4'}")
    assert (tmp_path / "o.mp4").exists()
    assert not chat.handle_line("/quit")
    chat.close()


def test_lang_en_holds_when_a_chinese_line_follows(tmp_path: Path) -> None:
    """``igedit chat`` with the local engine: after ``/lang en`` every reply stays English,
    the engine's own reply to a Chinese instruction included."""
    from skill.engine.local import LocalEngine
    from skill.templates import render

    out = io.StringIO()
    rt = Runtime(lambda notice: LocalEngine(tmp_path / "engine", notice=notice), Store(),
                 cwd=tmp_path)
    chat = ChatSession(rt, Printer(out=out, err=out))
    try:
        assert chat.handle_line("/lang en")
        assert chat.handle_line("把视频剪成方形")
        shown = out.getvalue()
        assert render("local_upload_first", "en") in shown
        assert render("local_upload_first", "zh") not in shown
        assert chat.rt.lang == "en"
        assert chat.handle_line("/lang zh") and chat.handle_line("make it square")
        assert render("local_upload_first", "zh") in out.getvalue()
    finally:
        chat.close()
