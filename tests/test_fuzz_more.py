"""More property-based fuzzing (hypothesis): the router, the GUI translator, caption and
title text on its way into the ffmpeg argv, the SSE line decoder, the error-envelope
parser and the SRT/VTT parser. Never a crash; always a value with the promised shape.

Bounded: every property runs a few dozen examples so the file stays well under 30 s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skill.cloud.errortable import Failure, lookup, parse_envelope, to_exception
from skill.cloud.sse import LineDecoder, decode_lines
from skill.draft import Draft, decode_draft
from skill.engine.ops.captions import Cue, decode_text, parse_captions
from skill.engine.render.fonts import Font
from skill.engine.render.pipeline import RenderOptions, build_render
from skill.engine.render.probe import Probe
from skill.engine.render.textass import TextEvent, build_ass, escape_ass_text
from skill.errors import SkillError
from skill.events import TextAssembler, encode_adk_event
from skill.gui import translate
from skill.intents import Step, format_steps, route
from skill.templates import render

FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
FEW = settings(max_examples=60, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

ACTIONS = {"upload", "credits", "state", "export", "sse"}

# ------------------------------------------------------------------ intent routing

# Words that never name an intent (no export/credits/status/upload phrase in them).
EDIT_WORDS = ["crop", "to", "square", "vertical", "add", "lo-fi", "music", "at", "35%",
              "title", "'Urban", "Dreams'", "make", "it", "warm", "faster", "trim", "the",
              "first", "3", "seconds", "captions", "裁剪", "成", "方形", "加", "字幕", "音乐",
              "暖色", "慢一点", "video", "clip", "fade", "in", "out", "louder"]
EDIT_VERBS = ["crop it to square", "add lo-fi music", "make it warm", "trim the first 3 seconds",
              "add the title 'Urban Dreams'", "speed it up", "裁剪成方形", "加字幕", "调成暖色"]
edit_text = st.tuples(st.sampled_from(EDIT_VERBS),
                      st.lists(st.sampled_from(EDIT_WORDS), max_size=5)).map(
    lambda vw: " ".join([vw[0], *vw[1]]))
# "title to …", "title Dreams…" introduce the text itself ("set the title to Send me the
# video", "a title Download Now"): what follows is content, not a command, so those
# edits are left out below.
plain_edit_text = edit_text.filter(
    lambda t: not re.search(r"\b(?:title|captions)\s+(?:to\b|[A-Z'])", t))
noise = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)


@FAST
@given(noise)
def test_route_never_raises_and_steps_are_well_formed(text: str) -> None:
    steps = route(text, exists=lambda _p: False)
    assert isinstance(steps, list)
    for step in steps:
        assert isinstance(step, Step) and step.action in ACTIONS
        if step.action == "sse":
            assert step.arg.strip(), steps
    out = format_steps(steps)
    lines = out.split("\n") if out else []
    assert len(lines) == len(steps)
    assert [ln.split(" ", 1)[0] for ln in lines] == [s.action for s in steps]
    assert route(text, exists=lambda _p: False) == steps   # pure: same input, same answer


@FAST
@given(plain_edit_text, st.sampled_from(["then export", "and then export", "然后导出",
                                   "and send me the video", "再导出"]))
def test_edit_then_export_is_one_edit_then_export(edit: str, tail: str) -> None:
    steps = route(f"{edit} {tail}", exists=lambda _p: False)
    assert [s.action for s in steps] == ["sse", "export"], steps
    assert steps[0].arg.strip()


@FAST
@given(edit_text, st.sampled_from(["don't export yet", "先别导出", "不要导出",
                                   "do not export it yet"]))
def test_negated_export_never_exports(edit: str, negation: str) -> None:
    for text in (f"{edit}, {negation}", f"{negation}, {edit}"):
        steps = route(text, exists=lambda _p: False)
        assert "export" not in [s.action for s in steps], (text, steps)


@FAST
@given(st.from_regex(r"[A-Za-z0-9_\-]{1,12}", fullmatch=True), edit_text)
def test_named_existing_file_is_uploaded_first(stem: str, edit: str) -> None:
    path = f"/tmp/clips/{stem}.mp4"
    steps = route(f"upload {path} and {edit}", exists=lambda p: p.endswith(f"{stem}.mp4"))
    assert steps[0] == Step("upload", path), steps
    assert all(s.action != "upload" for s in steps[1:])


# ------------------------------------------------------------------ GUI translation

# What a translated reply must never say (independent of skill/data/gui.yaml).
EN_GUI = re.compile(r"\b(?:click|tap|press|drag)\w*|\bopen(?:s|ing)?\s+(?:up\s+)?the\b",
                    re.IGNORECASE)
ZH_GUI = re.compile(r"点击|點擊|单击|單擊|双击|雙擊|打开|打開|拖拽|拖動|拖动|拖曳|拖放|轻触|輕觸")

GUI_EN = ["Click the Export button", "click Export", "Tap the Download icon", "Press Undo",
          "Double-click the clip", "Right-click the title", "Open the Music panel",
          "open the Text tab", "Drag Lo-fi onto the timeline", "drag and drop your clips here",
          "Hit the blue Export button in the top right corner", "Preview it in the timeline",
          "Select the clip and press Delete", "Tap here"]
GUI_ZH = ["点击导出按钮", "點擊導出按鈕", "单击导出", "打开音乐面板", "打開文字面板",
          "将Lo-fi拖拽到时间线上", "把音乐拖动到音频轨道", "在时间线中预览", "轻触导出图标",
          "双击片段"]
ENDS = [".", "!", "。", "", " to download your video.", "，然后导出。", " when ready?"]
filler = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=25)


@FAST
@given(st.text(max_size=200), st.sampled_from([None, "en", "zh"]))
def test_translate_never_raises(text: str, lang: str | None) -> None:
    tr = translate(text, lang)
    assert isinstance(tr.text, str)
    for action in tr.actions:
        assert action.kind in {"api", "state", "sse", "summary", "export"}


@FAST
@given(filler, st.lists(st.sampled_from(GUI_EN + GUI_ZH), min_size=1, max_size=3),
       st.lists(st.sampled_from(ENDS), min_size=3, max_size=3), filler,
       st.sampled_from([None, "en", "zh"]))
def test_gui_phrases_with_random_text_never_point_at_the_screen(
        lead: str, phrases: list[str], ends: list[str], tail: str, lang: str | None) -> None:
    # the random parts alone must not be GUI advice: only the table's phrases are
    assume(not EN_GUI.search(lead + " " + tail) and not ZH_GUI.search(lead + tail))
    text = lead + " " + " ".join(p + e for p, e in zip(phrases, ends, strict=False)) + " " + tail
    tr = translate(text, lang)
    assert not EN_GUI.search(tr.text), (text, tr.text)
    assert not ZH_GUI.search(tr.text), (text, tr.text)


@FAST
@given(filler)
def test_text_without_screen_words_is_returned_unchanged(text: str) -> None:
    assume(not re.search(r"(?i)click|tap|press|hit|push|select|open|drag|drop|preview|button"
                         r"|icon|tab|option|link|key|menu|timeline", text))
    assume(not re.search("[点點按拖键鍵]|打开|打開|开启|進入|进入|预览|預覽|图标|圖標|选项|選項"
                         "|标签|標籤|时间|時間", text))
    assert translate(text).text == text


# ------------------------------------------------------------------ caption text → argv

CLIP = "/media/clip.mp4"
PROBES = {CLIP: Probe(Path(CLIP), duration=20.0, has_video=True, has_audio=True, width=1080,
                      height=1920, fps=30.0, vcodec="h264")}
FONT = Font(Path("/fonts/DejaVuSans.ttf"), "DejaVu Sans", cjk=False)
hostile = st.lists(st.sampled_from(list("abc XYZ 字幕:;,[]'\"\\{}=\n\r\t-%$`|&<>/") +
                                   ["\\N", "\\n", "{\\an8}", "[0:v]", ";movie=/etc/passwd",
                                    ",drawtext=text=x", " -i ", "-f", "\u2028", "\x00", "\x1b",
                                    "Dialogue: 0,0:00:00.00", "\\h"]),
                   min_size=1, max_size=12).map("".join)
meta_value = st.one_of(hostile, st.integers(-5, 5000), st.floats(allow_nan=True),
                       st.booleans(), st.none())
# Parts of argv that are ours by construction (flags, numbers, labels, fixed paths).
_FILTERS = re.compile(r"^[a-z_0-9]+$")


def _draft(texts: list[str], meta: dict[str, Any], seg_meta: dict[str, Any]) -> Draft:
    return decode_draft({"t": [
        {"tt": 0, "m": {}, "sg": [{"s": 0, "d": 2000, "m": {"src": CLIP, **seg_meta}}]},
        {"tt": 7, "m": {"role": "title"},
         "sg": [{"s": i * 300, "d": 500, "m": {"text": t, "position": meta.get("position")}}
                for i, t in enumerate(texts)]},
        {"tt": 1, "m": {"role": "bgm"},
         "sg": [{"s": 0, "d": 2000, "m": {"mood": meta.get("mood"), "volume": meta.get("vol")}}]},
    ], "m": {k: v for k, v in meta.items() if k not in ("position", "mood", "vol")}})


@FEW
@given(st.lists(hostile, min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["ratio", "look", "fit", "w", "h", "vfade_in",
                                        "afade_out", "loudnorm", "position", "mood", "vol"]),
                       meta_value, max_size=6),
       st.dictionaries(st.sampled_from(["speed", "volume", "in", "kind", "fit"]), meta_value,
                       max_size=3),
       st.booleans())
def test_caption_text_never_reaches_the_argv(tmp_path_factory: Any, texts: list[str],
                                            meta: dict[str, Any], seg_meta: dict[str, Any],
                                            preview: bool) -> None:
    work = tmp_path_factory.getbasetemp() / "fuzz-work"
    try:
        plan = build_render(_draft(texts, meta, seg_meta), PROBES, Path("/out/o.mp4"),
                            ffmpeg="ffmpeg", work_dir=work, music_dir=Path("/music"), font=FONT,
                            options=RenderOptions(preview=preview))
    except SkillError:
        return   # a clear, typed refusal is fine; anything else is a crash
    argv = plan.argv
    assert argv[0] == "ffmpeg" and argv[-1] == "/out/o.mp4"
    assert argv.count("-filter_complex") == 1
    inputs = [argv[i + 1] for i, a in enumerate(argv) if a == "-i"]
    assert inputs[0] == CLIP
    assert all(p == CLIP or p.startswith("/music/") for p in inputs), inputs
    # every option flag is one the builder writes, never one smuggled in by the draft
    graph = argv[argv.index("-filter_complex") + 1]
    for arg in argv:
        if arg is graph:
            continue
        for text in texts:
            if len(text.strip()) >= 3:
                assert text not in arg, (text, arg)
    # the graph names only filters the builder uses; the text lives in the .ass file
    for chain in graph.split(";"):
        for item in re.split(r"(?<!\\),", re.sub(r"\[[^\]]*\]", "", chain)):
            name = item.split("=", 1)[0].strip()
            assert _FILTERS.match(name), (name, chain)
            assert name not in {"movie", "amovie", "drawtext", "sendcmd", "asendcmd", "zmq",
                                "azmq", "subtitles"}, chain
    if plan.ass_text is not None:
        assert plan.ass_path is not None and plan.ass_path.parent == work
        assert graph.count("ass=filename=") == 1
        _check_ass(plan.ass_text, n_events=None)


def _check_ass(doc: str, n_events: int | None) -> None:
    lines = doc.split("\n")
    dialogue = [ln for ln in lines if ln.startswith("Dialogue:")]
    if n_events is not None:
        assert len(dialogue) == n_events
    # every line is a header, a style, a dialogue or blank: text never starts a line
    for ln in lines:
        assert (ln.startswith(("[", ";", "Dialogue: ", "Style: ", "Format: ", "ScriptType",
                               "PlayRes", "WrapStyle", "ScaledBorder", "YCbCr")) or not ln), ln
    for ln in dialogue:
        text = ln.split(",", 9)[9]
        # one leading override block of ours, then no unescaped brace anywhere
        assert text.startswith("{\\an") or text.startswith("{\\an2\\pos(")
        body = text[text.index("}") + 1:]
        assert not re.search(r"(?<!\\)[{}]", body), body


@FAST
@given(st.lists(st.tuples(hostile, st.sampled_from(["title", "caption"]),
                          st.sampled_from(["", "top", "center", "bottom", "{\\pos(0,0)}"])),
                min_size=1, max_size=5),
       st.sampled_from([(1080, 1920), (1080, 1080), (540, 960)]))
def test_ass_document_keeps_text_as_data(items: list[tuple[str, str, str]],
                                         canvas: tuple[int, int]) -> None:
    events = [TextEvent(i * 1000, i * 1000 + 900, text, role, pos)
              for i, (text, role, pos) in enumerate(items)]
    doc = build_ass(events, canvas[0], canvas[1], "Deja{Vu}, Sans\nX")
    _check_ass(doc, n_events=sum(1 for e in events if e.text.strip()))


@FAST
@given(hostile)
def test_escape_ass_text_escapes_braces_backslashes_and_breaks(text: str) -> None:
    out = escape_ass_text(text)
    assert "\n" not in out and "\r" not in out and "\u2028" not in out
    assert not re.search(r"(?<!\\)[{}]", out)
    # a backslash never forms an ASS escape (\N \n \h) that the user did not mean as a break
    stripped = out.replace("\\N", "")
    assert not re.search(r"\\[nh{}N]", stripped.replace("\\{", "").replace("\\}", "")), out


# ------------------------------------------------------------------ SSE line decoder

@FAST
@given(st.lists(st.text(max_size=80), max_size=30))
def test_sse_decoder_never_raises(lines: list[str]) -> None:
    dec = LineDecoder()
    for line in lines:
        for payload in dec.feed(line):
            assert payload is None or isinstance(payload, str)
    dec.finish()
    asm = TextAssembler()
    for ev in decode_lines(lines):
        assert isinstance(asm.feed(ev), str)


@FAST
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6),
       st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_sse_encoded_events_round_trip(texts: list[str], eol: str, comments: bool,
                                       trailing_blank: bool) -> None:
    lines: list[str] = []
    for i, text in enumerate(texts):
        if comments:
            lines += [": keep-alive" + eol, "event: message" + eol]
        obj = encode_adk_event(invocation_id="inv", event_id=f"e{i}", text=text)
        lines += ["data: " + json.dumps(obj, ensure_ascii=False) + eol, eol]
    if not trailing_blank:
        lines.pop()
    got = [ev.text for ev in decode_lines(lines) if ev.kind == "text"]
    assert got == texts


# ------------------------------------------------------------------ error envelopes

envelope_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.floats() | st.text(max_size=12),
    lambda kids: st.lists(kids, max_size=3)
    | st.dictionaries(st.sampled_from(["code", "message", "msg", "data", "success", "error",
                                       "detail"]) | st.text(max_size=5), kids, max_size=4),
    max_leaves=12)


@FAST
@given(st.integers(100, 599),
       st.one_of(envelope_json.map(lambda v: json.dumps(v).encode()), st.binary(max_size=60),
                 st.text(max_size=60)))
def test_error_envelope_parser_classifies_anything(status: int, body: bytes | str) -> None:
    reply = parse_envelope(status, body)
    assert reply.ok == (reply.failure is None)
    if reply.ok:
        assert 200 <= status < 300
        return
    failure = reply.failure
    assert failure is not None and failure.status == status
    rule = lookup(failure)
    exc = to_exception(rule, failure)
    assert isinstance(exc, SkillError)
    for lang in ("en", "zh"):
        text = render(exc.key, lang, **exc.ctx)
        assert text.strip() and "Traceback" not in text


@FAST
@given(st.sampled_from([0, 1001, 1002, 2001, 4001, 4002, 9999]), st.integers(200, 599),
       st.text(max_size=20))
def test_error_codes_win_over_http_status(code: int, status: int, message: str) -> None:
    reply = parse_envelope(status, json.dumps({"code": code, "message": message, "data": None}))
    if code == 0 and 200 <= status < 300:
        assert reply.ok
        return
    assert reply.failure == Failure(code if code else None, status, message)
    key = lookup(reply.failure).key
    if code in (1001, 1002, 2001, 4001, 4002):
        assert key == f"error_{code}"


# ------------------------------------------------------------------ SRT / VTT

@FAST
@given(st.text(max_size=300))
def test_caption_parser_never_raises_and_cues_are_sane(text: str) -> None:
    for cue in parse_captions(text):
        assert cue.end_ms > cue.start_ms >= 0 and cue.text.strip()


@FAST
@given(st.binary(max_size=200))
def test_caption_bytes_always_decode(data: bytes) -> None:
    assert isinstance(decode_text(data), str)


cue_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"],
                                 exclude_characters="<>&{}\ufeff\x85"), min_size=1, max_size=30)


def _stamp(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, milli = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


@FAST
@given(st.lists(st.tuples(st.integers(0, 10_000_000), st.integers(1, 60_000),
                          st.lists(cue_text, min_size=1, max_size=2)), min_size=1, max_size=6),
       st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_srt_and_vtt_round_trip(cues: list[tuple[int, int, list[str]]], vtt: bool,
                                eol: str) -> None:
    assume(all("-->" not in ln for _, _, lines in cues for ln in lines))
    want = [Cue(s, s + d, "\n".join(ln.strip() for ln in lines if ln.strip()))
            for s, d, lines in cues]
    assume(all(c.text for c in want))
    blocks: list[tuple[str, ...]] = [("WEBVTT",)] if vtt else []
    for i, (s, d, lines) in enumerate(cues, 1):
        sep = "." if vtt else ","
        blocks.append((str(i), f"{_stamp(s, sep)} --> {_stamp(s + d, sep)}",
                       *[ln for ln in lines if ln.strip()]))
    doc = (eol + eol).join(eol.join(b) for b in blocks) + eol
    got = parse_captions(doc)
    assert got == sorted(want, key=lambda c: (c.start_ms, c.end_ms))
