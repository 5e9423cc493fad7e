"""Messages follow the front door (issue 12 item 10): a person at the CLI is told a
command and its flags, an agent host over MCP a tool and its parameters, a program on
``igedit serve`` an endpoint — also for messages written deep in the engine."""

from __future__ import annotations

import asyncio
import re

import pytest

from skill.front.cli import main
from skill.templates import DOOR, DOORS, _doors, at_door, door_key, how, keys, render

CLI_WORDS = re.compile(r"igedit [a-z]|(?<![\w-])--?[a-z]")


pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


def test_every_action_has_cli_wording_and_every_wording_both_languages() -> None:
    for action, row in _doors().items():
        assert "cli" in row, action
        assert set(row) <= {"cli", "mcp", "http"}, action
        for wording in row.values():
            assert isinstance(wording, str) or set(wording) == {"en", "zh"}, action


@pytest.mark.parametrize("door", DOORS)
def test_each_door_gets_its_own_words(door: str) -> None:
    with at_door(door):
        en = render("local_upload_first", "en")
        zh = render("local_upload_first", "zh")
    expected = {"": "igedit upload <file>", "mcp": "the upload_media tool",
                "http": "POST /api/upload-video/"}[door]
    assert expected in en
    assert ({"": "igedit upload", "mcp": "upload_media 工具", "http": "POST /api/upload-video/"}
            [door]) in zh
    assert DOOR.get() == ""          # the block ends: back to the CLI's words


def test_mcp_words_never_name_cli_commands_for_what_the_engine_says() -> None:
    # the messages an edit, an export or an error can bring to an MCP client
    ctx = {"folder": "/x", "reason": "r", "rendered": True, "file": "f.mp4", "detail": "d",
           "job": "j", "path": "p", "phrase": "hi", "index": 3, "count": 1, "text": "t",
           "why": "w", "cloud": True, "violations": ["v"], "host": "h", "code": 1,
           "clip": "9", "names": ["a.mp4", "b.mp4"], "name": "tiktok", "accepted": "reel, square",
           "preview": True, "formats": ["reel", "square"]}
    engine = ["local_upload_first", "local_job_unknown", "local_render_missing",
              "local_selfcheck_failed", "timeline_empty", "export_empty", "export_exists",
              "export_nothing_pending", "export_hint", "export_unwritable", "export_disk_full",
              "export_resume_unwritable", "export_exists_rendered", "export_was_cancelled",
              "error_generic", "error_engine", "error_render", "error_network", "error_api",
              "error_unknown_code", "no_backend", "render_timeout", "download_failed",
              "download_insecure", "stream_timeout", "notdone_line", "plan_unknown",
              "plan_music_missing", "speech_phrase_missing", "plan_no_scene",
              "make_not_rendered", "ops_invalid", "ops_need_local", "sheet_exists",
              "sheet_need_local", "upload_which",
              # batch style and several formats (issue 16)
              "export_clips_done", "export_clip_unknown", "export_clip_single",
              "formats_unknown", "formats_exists", "formats_alone", "status_formats"]
    for lang in ("en", "zh"):
        assert set(engine) <= keys(lang)
        for key in engine:
            with at_door("mcp"):
                said = render(key, lang, **ctx)
            assert not CLI_WORDS.search(said), (lang, key, said)
    # … while the CLI keeps its commands and flags
    for key in ("local_upload_first", "error_generic", "render_timeout", "export_unwritable",
                "plan_no_scene", "speech_phrase_missing", "notdone_line", "export_exists"):
        assert CLI_WORDS.search(render(key, "en", **ctx)), key


def test_the_door_reaches_tasks_and_threads_started_inside_it() -> None:
    async def inside() -> tuple[str, str]:
        task = asyncio.create_task(asyncio.sleep(0, how("upload")))
        thread = await asyncio.to_thread(how, "upload")
        return await task, thread

    with at_door("mcp"):
        assert asyncio.run(inside()) == ("the upload_media tool", "the upload_media tool")
    assert how("upload") == "igedit upload <file>"
    assert door_key("export_exists", "en", "mcp") == "mcp_export_exists"
    assert door_key("export_exists", "en", "http") == "export_exists"   # no variant: the same


def test_the_cli_still_names_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--backend", "local", "edit", "make it square"]) == 3    # nothing was done
    assert main(["--backend", "local", "export", "--resume"]) == 0
    said = capsys.readouterr().out
    assert "Upload a clip first (igedit upload <file>)" in said
    assert "There is no interrupted export to resume. Start one with `igedit export`." in said
