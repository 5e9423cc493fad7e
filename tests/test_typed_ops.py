"""Typed edit operations for hosts (issue 12 item 1): ``igedit ops``, ``edit --ops``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from skill.engine.ops import OPS
from skill.engine.typed_ops import edits_schema, op_catalog, parse_edits
from skill.errors import InputError
from skill.front.cli import main
from tests.media import plain_clip

pytestmark = pytest.mark.usefixtures("logging_as_before")   # main() configures logging


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return plain_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=2.0, size="320x568")


def test_the_catalog_lists_every_op_with_a_description_and_an_object_schema() -> None:
    catalog = op_catalog()
    assert [c["name"] for c in catalog] == list(OPS)
    for entry in catalog:
        assert entry["description"] and "\n" not in entry["description"]
        assert entry["schema"]["type"] == "object"
        assert entry["schema"]["additionalProperties"] is False
    variants = edits_schema()["items"]["oneOf"]
    assert [v["properties"]["op"]["const"] for v in variants] == list(OPS)


@pytest.mark.parametrize(("edits", "path", "problem"), [
    ({"op": "trim"}, "edits", "expected a JSON array"),
    ([], "edits", "is empty"),
    (["trim"], "edits[0]", "expected an object"),
    ([{"op": "trim", "args": {}, "x": 1}], "edits[0].x", "unknown key"),
    ([{"op": "set_aspect", "args": {"ratio": "1:1"}}, {"op": "sparkle"}], "edits[1].op",
     "unknown operation 'sparkle'"),
    ([{"op": "add_title", "args": {"text": 3}}], "edits[0].args.text", "expected text"),
    ([{"op": "set_aspect", "args": {"ratio": "2:3"}}], "edits[0].args.ratio", "must be one of"),
    ([{"op": "set_speed", "args": {}}], "edits[0].args.factor", "is required"),
    ([{"op": "set_look", "args": {"look": "warm", "hue": 3}}], "edits[0].args", "unknown field 'hue'"),
    ([{"op": "fade", "args": {}}], "edits[0].args", "needs in_ms or out_ms"),
])
def test_invalid_edits_name_the_index_and_the_field(edits: object, path: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        parse_edits(edits)
    assert err.value.ctx["path"] == path
    assert problem in err.value.ctx["problem"]


def run(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["--backend", "local", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_igedit_ops_lists_them_for_people_and_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ops")
    assert code == 0 and out.startswith("set_aspect — Reframe")
    assert "igedit edit --ops" in out
    code, out, _ = run(capsys, "--json", "ops")
    doc = json.loads(out)
    assert code == 0 and doc["kind"] == "ops" and doc["ops"] == op_catalog()


def test_edit_ops_applies_all_or_nothing(capsys: pytest.CaptureFixture[str], clip: Path,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, "upload", str(clip))[0] == 0
    _, before, _ = run(capsys, "status")
    bad = [{"op": "set_aspect", "args": {"ratio": "1:1"}},
           {"op": "add_title", "args": {"text": "Late", "start_ms": 60000}}]
    code, _, err = run(capsys, "edit", "--ops", "-", stdin=json.dumps(bad),
                       monkeypatch=monkeypatch)
    assert code == 1
    assert err.startswith("Nothing was applied. edits[1] (add_title): That starts at 60 s")
    assert run(capsys, "status")[1] == before                      # not even the reframe
    good = tmp_path / "edits.json"
    good.write_text(json.dumps([
        {"op": "set_aspect", "args": {"ratio": "4:5", "fit": "blur"}},
        {"op": "add_music", "args": {"mood": "upbeat", "volume_pct": 25}},
        {"op": "add_title", "args": {"text": "Hi", "position": "top"}}]), "utf-8")
    code, out, _ = run(capsys, "--json", "edit", "--ops", str(good))
    assert code == 0
    texts = [json.loads(line) for line in out.splitlines()]
    assert "Reframed to 4:5 (1080×1350)" in texts[0]["text"]
    code, out, _ = run(capsys, "status")
    assert "BGM: Upbeat" in out and 'Title: "Hi"' in out


def test_edit_needs_words_or_ops_not_both(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    code, _, err = run(capsys, "edit", "square", "--ops", "x.json")
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "edit", "--ops", str(tmp_path / "missing.json"))
    assert code == 1 and "Cannot read the edits" in err and "No such file" in err
    (tmp_path / "bad.json").write_text("[{", "utf-8")
    code, _, err = run(capsys, "edit", "--ops", str(tmp_path / "bad.json"))
    assert code == 1 and "Cannot read the edits" in err
