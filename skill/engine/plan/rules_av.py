"""Rules for sound and text: removals, music, the original audio, titles, captions;
and :func:`extract`, which runs every rule over one clause in a fixed order."""

from __future__ import annotations

import re
from dataclasses import replace
from re import Match
from typing import Any

from ..ops import AddCaptions, AddTitle
from .phrases import NUM, PERCENT, T_OPT, T, parse_num, percent, time_ms
from .rulebase import Clause, Env, State, caption_file_op, vocab, words
from .rules import (
    Extractor,
    ext_aspect,
    ext_cover,
    ext_fade,
    ext_join,
    ext_look,
    ext_loudnorm,
    ext_speed,
    ext_trim,
    fade_duration,
    find_range,
)
from .rules_vision import ext_vision

# word groups of skill/data/planner.yaml (``groups:``)
_RM = vocab().group("remove")
_ZRM = vocab().group("remove_zh")


def _music_re() -> str:
    return vocab().re("music")


def ext_remove(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    for what, noun in (("music", _music_re()), ("title", v.re("title")),
                       ("captions", v.re("captions"))):
        m = cl.search(rf"\b{_RM}\s+(?:the\s+|all\s+(?:the\s+)?|any\s+|my\s+)?(?:background\s+)?{noun}"
                      rf"|{_ZRM}(?:所有的?|全部的?)?(?:背景)?{noun}")
        if m and not cl.has(rf"(?:original|source)\s+{noun}"):
            cl.take(m)
            st.removals.append(what)
            cl.topic = what


# ---------------------------------------------------------------- music

_ADD = (r"\b(?:add|put|use|with|play|include|give|set|pick|choose|insert|layer)\b"
        r"|加上|加入|添加|加|配上|配|用|放|来点|來點|来一首|來一首|换成|換成")
_MUSIC_FADE_BOTH = (r"\bfade\s+(?:the\s+)?(?:music|song|track|bgm)\s+in\s*(?:and|&|/|\+)\s*out"
                    r"|\bfade(?:s|d)?\s*(?:it\s+)?in\s*(?:and|&|/|\+)\s*out|淡入淡出|淡入和淡出")
_MUSIC_FADE_IN = (r"\bfade\s+(?:the\s+)?(?:music|song|track|bgm)\s+in\b|\bfade(?:s|d)?[- ]?(?:it\s+|them\s+)?in\b"
                  r"|淡入|渐强|漸強")
_MUSIC_FADE_OUT = (r"\bfade\s+(?:the\s+)?(?:music|song|track|bgm)\s+out\b|\bfade(?:s|d)?[- ]?(?:it\s+|them\s+)?out\b"
                   r"|淡出|渐弱|漸弱")


_GENERIC_MUSIC = {"song", "music", "track", "audio", "bgm", "beat", "sound", "tune", "soundtrack"}


def _audio_file(cl: Clause, env: Env) -> str | None:
    low = cl.work.lower()
    for item in reversed(env.audio()):
        for name in (item.name, item.name.rsplit(".", 1)[0]):
            if name.lower() in _GENERIC_MUSIC:   # "fade the song out" is not about song.mp3
                continue
            pos = low.find(name.lower()) if len(name) >= 3 else -1
            if pos >= 0:
                cl.take((pos, pos + len(name)))
                return item.name
    for slot in cl.slots(("quote",)):
        text = cl.masked.slots[slot]
        if re.search(r"\.(?:mp3|wav|m4a|aac)$", text, re.IGNORECASE):
            cl.take_slot(slot)
            return text
    m = cl.grab(r"[\w\-.]+\.(?:mp3|wav|m4a|aac)\b")
    if m:
        return m.group(0)
    mine = cl.grab(r"\bmy\s+(?:own\s+)?(?:song|music|track|audio)\b|\bthe\s+uploaded\s+(?:song|music|track|audio)\b"
                   r"|我的(?:音乐|音樂|歌)|我上传的(?:音乐|歌)|我上傳的(?:音樂|歌)|上传的(?:音乐|歌)|上傳的(?:音樂|歌)")
    if mine and env.audio():
        return env.audio()[-1].name
    return None


def ext_music(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    music_word = cl.has(_music_re())
    duck = cl.search(v.re("duck"))
    cl.grab_all(v.re("duck"))
    no_duck = cl.grab(r"\b(?:don'?t|do not|no|stop|without)\s+duck(?:ing)?\b|不要闪避|不要避让|取消闪避")
    trending = cl.search(v.re("trending"))
    mood = None
    for name in ("lofi", "chill", "upbeat", "cinematic"):
        m = cl.search(v.re("moods", name))
        if m and (music_word or name in v.raw["mood_alone"]
                  or cl.has(r"\b(?:vibe|vibes|mood|feel)\b|氛围|氛圍")):
            mood = (name, m)
            break
    is_music = bool(music_word or duck or no_duck or mood
                    or (trending and cl.has(r"\b(?:sound|audio)\b")))
    if not is_music and st.prev_topic == "music" and cl.has(r"\b(?:it|them)\b|它|音乐|音樂"):
        is_music = bool(cl.has(_MUSIC_FADE_IN) or cl.has(_MUSIC_FADE_OUT))
    if not is_music:
        return
    cl.topic = "music"
    if duck:
        st.music["duck"] = True
    if no_duck:
        st.music["duck"] = False
    file = _audio_file(cl, env)
    if file:
        st.music_source = {"file": file}
    elif trending and (music_word or cl.has(r"\b(?:sound|audio)\b")):
        cl.take(trending)
        st.music_source = {"mood": mood[0] if mood else "upbeat",
                           "requested": cl.text[trending.start():trending.end()]}
    elif mood:
        st.music_source = {"mood": mood[0]}
    if mood:   # "chill lo-fi music": the first mood wins, the others only describe it
        for other in ("lofi", "chill", "upbeat", "cinematic"):
            cl.grab_all(v.re("moods", other))
    _music_settings(cl, st)
    noun = cl.grab(_music_re())
    add = cl.grab(_ADD)
    if st.music_source is None and (add or (noun and not st.music and not duck)):
        st.music_source = {"default": True}
    cl.grab_all(r"\b(?:background|backing|some|the|a|built-in|music)\b|背景|一些|一段|一首|的")


#: where the music comes in: "from 0:05", "starting at 10 seconds", 从第5秒开始, 5秒后进来
_MUSIC_START = (
    rf"\b(?:(?:coming|comes?|kick(?:ing|s)?)\s+in\s+|start(?:ing|s)?\s+|begin(?:ning|s)?\s+"
    rf"|play(?:ing|s)?\s+|only\s+)?(?:from|at|after)\s+(?:the\s+)?(?P<t>{T})(?:\s+mark)?"
    rf"|(?:从|從)第?\s*(?P<t2>{T})(?:开始|開始|起|进来|進來|响起|響起|出现|出現)?"
    rf"|第?\s*(?P<t3>{T})(?:后|後|之后|之後)(?:再)?(?:开始|開始|进来|進來|响起|響起|出现|出現)")


def _music_settings(cl: Clause, st: State) -> None:
    m = cl.search(PERCENT)
    if m and not cl.has(r"\bspeed\b"):
        value = percent(m)
        if value is not None:
            cl.take(m)
            st.music["volume_pct"] = value
            cl.grab_all(r"\b(?:at|volume|to|down|up|turn|set|lower|reduce|raise|increase|decrease|drop)\b|音量")
    if "volume_pct" not in st.music:
        m = cl.search(rf"(?:\bvolume\s+(?:to\s+|at\s+|of\s+)?|音量(?:调到|調到|设为|設為|为|為)?\s*)(?P<n>{NUM})(?!\s*(?:x|倍|s\b|秒))")
        if m and (val := parse_num(m.group("n"))) is not None:
            cl.take(m)
            st.music["volume_pct"] = round(val * 100) if val <= 1 and "." in m.group("n") else round(val)
    if "volume_pct" not in st.music:
        m = cl.grab(r"\b(?:quiet(?:er)?|softer|subtle|lower\s+(?:the\s+)?(?:music\s+)?volume|turn\s+(?:the\s+)?(?:music\s+)?down"
                    r"|(?:music\s+)?down\s+low|not\s+too\s+loud|lower)\b|小声|小聲|轻一点|輕一點|调低|調低|降低音量|音量低|音量小|小一点|小一點")
        if m:
            st.music["volume_pct"] = 20
        elif cl.grab(r"\b(?:loud(?:er)?|turn\s+(?:the\s+)?(?:music\s+)?up|boost)\b|大声|大聲|调高|調高|响一点|響一點|大一点|大一點"):
            st.music["volume_pct"] = 60
    m = cl.grab(_MUSIC_START)
    if m and (ms := time_ms(m.group("t") or m.group("t2") or m.group("t3"))) is not None:
        st.music["start_ms"] = ms
    both = cl.grab(_MUSIC_FADE_BOTH)
    fin = None if both else cl.grab(_MUSIC_FADE_IN)
    fout = None if both else cl.grab(_MUSIC_FADE_OUT)
    if both or fin or fout:
        ms = fade_duration(cl, 2000)
        if both or fin:
            st.music["fade_in_ms"] = ms
        if both or fout:
            st.music["fade_out_ms"] = ms
        cl.grab(r"\bat\s+the\s+(?:end|start|beginning)\b|开头|開頭|结尾|結尾")


# ---------------------------------------------------------------- original audio

#: silent *parts* are content to cut (speech analysis), never a reason to mute everything
SILENT_PARTS = (r"\bsilent\s+(?:parts?|bits?|sections?|segments?|moments?|gaps?|spots?|pieces?|stretch(?:es)?)\b"
                r"|\b(?:remove|cut|trim|drop|delete|skip|get\s+rid\s+of|take\s+out)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?"
                r"(?:silences?|pauses?|dead\s+air|quiet\s+(?:parts?|bits?))\b|\bsilences\b|\bdead\s+air\b"
                r"|(?:静音|靜音|无声|無聲|安静|安靜)(?:的)?(?:部分|片段|段落|地方|画面|畫面|时候|時候)"
                r"|(?:去掉|去除|删掉|刪掉|删除|刪除|剪掉|切掉)(?:所有|全部)?(?:的)?(?:静音|靜音|停顿|停頓|空白|无声|無聲)")


def ext_original(cl: Clause, st: State, env: Env) -> None:
    if cl.has(SILENT_PARTS):
        return   # "remove the silent parts" / "去掉静音的部分": not done until speech analysis exists
    orig = vocab().re("original_audio")
    music = cl.has(_music_re())
    value: int | None = None
    m = cl.search(rf"\b(?:mute|silence|kill|remove|drop|cut|turn\s+off|get\s+rid\s+of|lose|no|without)\s+(?:the\s+)?{orig}"
                  rf"|{orig}\s+(?:muted|off|silent)"
                  r"|静音原声|靜音原聲|原声静音|原聲靜音|(?:去掉|去除|关闭|關閉|关掉|關掉|不要|消除)(?:视频的?|視頻的?)?(?:原声|原聲|原音|声音|聲音)"
                  r"|(?:原声|原聲|原音|声音|聲音)(?:给)?(?:关掉|關掉|去掉|关闭|關閉|静音|靜音|拿掉|去除)")
    if m:
        value = 0
    elif not music and (m := cl.search(
            r"\b(?:remove|mute|drop|cut|kill|turn\s+off|get\s+rid\s+of|lose)\s+(?:the\s+|all\s+(?:the\s+)?|any\s+)?"
            r"(?:audio|sound|volume)\b")):
        value = 0   # "remove the audio": the clip's own sound (music is named when meant)
    elif not music and (m := cl.search(r"\bmuted?\b(?:\s+(?:it|the\s+video|the\s+clip|everything|the\s+(?:audio|sound)|audio|sound))?|静音|靜音|无声|無聲")):
        value = 0
    elif m := cl.search(rf"\b(?:unmute|restore|bring\s+back)\b(?:\s+(?:the\s+)?(?:{orig}|audio|sound))?|恢复原声|恢復原聲|取消静音|取消靜音"):
        value = 100
    elif m := cl.search(orig):
        pct = cl.search(PERCENT)
        if pct and (p := percent(pct)) is not None:
            cl.take(pct)
            value = p
        elif cl.has(r"\b(?:lower|reduce|quieter|softer|turn\s+down|down)\b|降低|调低|調低|小一点|小一點|小声|小聲"):
            value = 50
        elif cl.has(r"\bkeep\b|保留") or cl.has(r"\b(?:full|louder|raise|boost)\b|调高|調高"):
            value = 100
        else:
            return
    if value is None or m is None:
        return
    cl.take(m)
    cl.grab_all(r"\b(?:lower|reduce|quieter|softer|turn|down|keep|at|to|volume|audio|sound|level)\b|降低|调低|調低|保留|音量")
    cl.grab(orig)
    st.original = value
    cl.topic = "original"


# ---------------------------------------------------------------- titles and captions

def _position(cl: Clause) -> str | None:
    for pos, items in vocab().raw["positions"].items():
        if cl.grab(words(items)):
            return str(pos)
    return None


def _text_times(cl: Clause, env: Env) -> tuple[int | None, int | None]:
    """(start, end) a title or caption clause asks for, taking the words it used."""
    found = find_range(cl)
    if found:
        cl.take(found[0])
        return found[1]
    m = cl.grab(rf"\bfor\s+(?:the\s+)?first\s+(?P<t>{T_OPT})|前\s*(?P<t2>{T})")
    if m:
        return 0, time_ms(m.group("t") or m.group("t2"))
    if cl.grab(r"\bthroughout\b|\b(?:for\s+)?the\s+(?:whole|entire)\s+(?:video|time|clip|thing)\b|\ball\s+the\s+way(?:\s+through)?\b|全程|整个视频|整個視頻|一直"):
        return 0, env.total
    m = cl.grab(rf"\b(?:for\s+|during\s+|over\s+)?(?:the\s+)?(?:last|final)\s+(?P<t>{T_OPT})|(?:最后|最後)\s*(?P<t2>{T})")
    if m and (dur := time_ms(m.group("t") or m.group("t2"))):
        return max(0, env.total - dur), env.total
    if cl.grab(r"\bat\s+the\s+(?:very\s+)?end\b|\bin\s+the\s+end\b|结尾|結尾|最后|最後"):
        m = cl.grab(rf"\bfor\s+(?:the\s+)?(?P<t>{T})|(?:持续|持續|显示|顯示)\s*(?P<t2>{T})")
        dur = (time_ms(m.group("t") or m.group("t2")) if m else None) or 3000
        return max(0, env.total - dur), env.total
    start: int | None = None
    m = cl.grab(rf"\b(?:starting\s+)?(?:at|from)\s+(?P<t>{T_OPT})|第\s*(?P<t2>{T})(?:开始|開始|出现|出現)?")
    if m:
        start = time_ms(m.group("t") or m.group("t2"))
    cl.grab(r"\bat\s+the\s+(?:start|beginning)\b|\bin\s+the\s+beginning\b|开头|開頭|开始|開始")
    m = cl.grab(rf"\bfor\s+(?P<t>{T})|(?:持续|持續|显示|顯示)\s*(?P<t2>{T})")
    if m:   # a duration: start stays None when none was said (see ext_text_carry)
        dur = time_ms(m.group("t") or m.group("t2")) or 0
        return start, (start or 0) + dur
    return start, None


def ext_title(cl: Clause, st: State, env: Env, *, keyword_needed: bool = True) -> None:
    v = vocab()
    kw = cl.search(v.re("title"))
    if keyword_needed and kw is None:
        return
    if not keyword_needed and cl.has(v.re("captions")):
        return
    slots = cl.slots(("quote", "title"))
    if not slots:
        return
    slot = slots[0]
    saved = cl.save()
    cl.take(kw)
    cl.take_slot(slot)
    position = _position(cl)
    start, end = _text_times(cl, env)
    position = position or _position(cl)
    cl.grab(r"\b(?:saying|(?:that\s+)?says|reading|(?:that\s+)?reads|with\s+the\s+(?:text|words?))\b"
            r"|写着|寫著|内容是|內容是|叫做|叫")
    if not keyword_needed and cl.leftovers():
        cl.restore(saved)   # "a 'Wow' sticker" is not a title: say it was not understood
        return
    st.titles.append(AddTitle(cl.masked.slots[slot], start or 0, end, position or "center"))
    cl.topic = "title"


def ext_title_loose(cl: Clause, st: State, env: Env) -> None:
    """A quote nobody else used, with no caption keyword: a title."""
    ext_title(cl, st, env, keyword_needed=False)


_AUTO_CAPTIONS = (r"\bauto(?:matic(?:ally)?)?\b|\bauto-|\bgenerat\w*|\btranscri\w*|\bfrom\s+(?:the\s+)?(?:speech|audio|voice)"
                  r"|自动|自動|生成|识别|識別|语音|語音")


def ext_captions(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    kw = cl.search(v.re("captions"))
    lines_slots = cl.slots(("lines",))
    if kw is None and not lines_slots:
        return
    lines: list[str] = []
    for slot in lines_slots:
        lines.extend(cl.masked.lines(slot))
        cl.take_slot(slot)
    if not lines:
        for slot in cl.slots(("quote", "title")):
            lines.append(cl.masked.slots[slot])
            cl.take_slot(slot)
    file_op = None
    if not lines:
        low = cl.work.lower()
        for item in reversed(env.captions()):
            for name in (item.name, item.name.rsplit(".", 1)[0]):
                if len(name) >= 3 and name.lower() in low:
                    pos = low.find(name.lower())
                    cl.take((pos, pos + len(name)))
                    file_op = caption_file_op(env, item.name)
                    break
            if file_op:
                break
        if cl.has(_AUTO_CAPTIONS):
            return  # speech-to-text captions are a cloud feature: leave it not understood
        if file_op is None and env.captions():
            file_op = caption_file_op(env)
        if file_op is None:
            return  # "add captions" with no text and no file: speech-to-text is a cloud feature
        cl.grab(r"\b(?:from\s+)?(?:the\s+)?(?:srt|vtt|subtitle|caption)?\s*file\b|\.srt|\.vtt|字幕文件|字幕檔")
    cl.grab_all(v.re("captions"))
    position = _position(cl)
    if file_op is not None:
        st.captions.append(file_op)
    else:
        start, end = _text_times(cl, env)
        position = position or _position(cl)
        st.captions.append(AddCaptions(tuple(lines), start, end, position or "bottom"))
    cl.grab(r"\b(?:say(?:ing)?|reading|lines?)\b|内容|內容")
    cl.topic = "captions"


def ext_text_carry(cl: Clause, st: State, env: Env) -> None:
    """"title 'X', at the top, for 5 s": a clause of only a place or times refines the
    title or captions of the clause before."""
    if st.prev_topic not in ("title", "captions") or cl.taken:
        return
    ops: list[Any] = st.titles if st.prev_topic == "title" else st.captions
    if not ops or not isinstance(ops[-1], AddTitle | AddCaptions):
        return
    position = _position(cl)
    start, end = _text_times(cl, env)
    if (position is None and start is None and end is None) or cl.leftovers():
        cl.work, cl.taken = cl.text, 0
        return
    op = ops[-1]
    changes: dict[str, Any] = {"position": position or op.position}
    if start is None and end is not None:   # "…, for 2 s": keep where the text sits
        begin = op.start_ms or 0
        at_end = op.end_ms is not None and op.end_ms >= env.total and begin > 0
        start, end = (max(0, env.total - end), env.total) if at_end else (begin, begin + end)
    if start is not None or end is not None:
        changes["start_ms"] = start if start is not None else op.start_ms
        changes["end_ms"] = end
    ops[-1] = replace(op, **changes)
    cl.topic = st.prev_topic


def ext_music_carry(cl: Clause, st: State, env: Env) -> None:
    """"add epic music, quiet": a clause of only music settings after a music clause."""
    if st.prev_topic != "music" or cl.topic:
        return
    before = dict(st.music)
    _music_settings(cl, st)
    if st.music != before:
        cl.topic = "music"


def ext_percent_carry(cl: Clause, st: State, env: Env) -> None:
    """"…, 35%" on its own: the volume of what the previous clause was about."""
    m: Match[str] | None = cl.search(PERCENT)
    if m is None or (value := percent(m)) is None:
        return
    volume_word = cl.has(r"\bvolume\b|音量")
    if st.prev_topic == "music" or cl.has(_music_re()):
        st.music["volume_pct"] = value
    elif st.prev_topic == "original":
        st.original = value
    elif volume_word and (env.has_music or st.music_source is not None):
        st.music["volume_pct"] = value
    elif volume_word:
        st.original = value
    else:
        return
    cl.take(m)
    cl.grab(r"\b(?:at|volume)\b|音量")


_OVERALL_DOWN = (
    r"\b(?:make\s+(?:it|this|everything|the\s+(?:video|clip|sound|audio|whole\s+thing))\s+(?:a\s+(?:bit|little)\s+)?quieter"
    r"|(?:turn|bring)\s+(?:it|the\s+(?:sound|volume|audio))\s+down|(?:turn|bring)\s+down\s+the\s+(?:sound|volume|audio)"
    r"|(?:lower|reduce|decrease)\s+the\s+(?:overall\s+)?(?:sound|volume|audio)(?:\s+level)?|too\s+loud|quieter)\b"
    r"|(?:声音|聲音|音量)(?:调|調|放|开|開|弄)?(?:小|低)(?:一点|一點|一些|些|点|點)?"
    r"|(?:降低|调低|調低|减小|減小|调小|調小)(?:一下)?(?:声音|聲音|音量)|太吵了?|太大声了?|太大聲了?")
_OVERALL_UP = (
    r"\b(?:make\s+(?:it|this|everything|the\s+(?:video|clip|sound|audio|whole\s+thing))\s+(?:a\s+(?:bit|little)\s+)?louder"
    r"|(?:turn|bring)\s+(?:it|the\s+(?:sound|volume|audio))\s+up|(?:turn|bring)\s+up\s+the\s+(?:sound|volume|audio)"
    r"|(?:raise|increase|boost)\s+the\s+(?:overall\s+)?(?:sound|volume|audio)(?:\s+level)?|too\s+quiet|louder)\b"
    r"|(?:声音|聲音|音量)(?:调|調|放|开|開|弄)?(?:大|高)(?:一点|一點|一些|些|点|點)?"
    r"|(?:提高|调高|調高|增大|调大|調大|加大)(?:一下)?(?:声音|聲音|音量)|太小声了?|太小聲了?")


def ext_overall(cl: Clause, st: State, env: Env) -> None:
    """"make it quieter", "声音调小一点": the volume with no track named (the music and
    the clip's own audio have their own rules, which ran first). See ``State._overall``."""
    if cl.has(_music_re()) or st.prev_topic == "music":
        return
    for pattern, way in ((_OVERALL_DOWN, "down"), (_OVERALL_UP, "up")):
        if cl.grab(pattern):
            st.overall = way
            cl.topic = cl.topic or "overall"
            cl.grab_all(r"\b(?:a\s+bit|a\s+little|slightly|overall|volume|sound|audio)\b|一点|一點|一下")
            return


def _style_rules() -> tuple[Extractor, ...]:
    from .rules_style import ext_fps, ext_text_style

    return ext_text_style, ext_fps


def _goal_rules() -> tuple[Extractor, Extractor]:
    from .rules_instagram import ext_goal_first, ext_goal_last  # see its docstring

    return ext_goal_first, ext_goal_last


def _speech_rules() -> tuple[Extractor, ...]:
    from .rules_speech import ext_speech  # speech rules run first: see its docstring

    return (ext_speech,)


EXTRACTORS: tuple[Extractor, ...] = (
    _goal_rules()[0], *_speech_rules(), ext_vision, ext_text_carry, ext_remove, *_style_rules(), ext_aspect,
    ext_cover, ext_title, ext_captions, ext_music, ext_original,
    ext_speed, ext_trim, ext_look, ext_fade, ext_loudnorm, ext_join, ext_title_loose,
    ext_music_carry, ext_percent_carry, ext_overall, _goal_rules()[1],
)


def extract(cl: Clause, st: State, env: Env) -> None:
    """Run every rule over one clause, in order."""
    for rule in EXTRACTORS:
        rule(cl, st, env)
