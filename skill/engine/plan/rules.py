"""Rules for the picture and the timeline: aspect, cover, trims, speed, look, fades,
loudness, joining. Each extractor reads one :class:`~.rulebase.Clause`, takes what it
understood and records it in the :class:`~.rulebase.State`.

Audio and text rules live in :mod:`.rules_av`; :func:`extract` runs both in order.
Order matters: ratios are taken before times ("9:16" is no m:ss), and titles, captions
and the cover take their own times before the trim rules look for ranges.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from re import Match

from ...draft import CANVAS
from ..ops import TARGET_RATIOS, CutEnds, CutRange, Trim
from ..ops.draftedit import canvas_for
from .phrases import NUM, T_OPT, T, parse_num, time_ms, unit_of
from .rulebase import Clause, Env, State, vocab, words

Extractor = Callable[[Clause, State, Env], None]

_RATIO = r"(?<![\d.])(9|16|1|4)\s*(?:[:：x×/]|by)\s*(16|9|1|5)(?![\d.])"
_RESOLUTION = r"(?<!\d)(\d{3,4})\s*[x×*]\s*(\d{3,4})(?!\d)"

# a time range; group names a/b; ``pre`` says it was introduced by from/between/从
RANGE = (rf"(?P<pre>\bfrom\s+|\bbetween\s+|\bseconds?\s+|从|從)?(?:第\s*)?(?P<a>{T_OPT})\s*"
         rf"(?P<conn>to|until|till|through|thru|and|-|–|—|~|〜|～|到|至)\s*(?:第\s*)?(?P<b>{T_OPT})")


def time_range(m: Match[str]) -> tuple[int, int] | None:
    """(start_ms, end_ms) of a :data:`RANGE` match, or None when it is not a time range."""
    a, b = m.group("a"), m.group("b")
    ua, ub = unit_of(a), unit_of(b)
    if not (ua or ub or m.group("pre")):
        return None
    if m.group("conn").lower() == "and" and not (m.group("pre") or "").strip().lower() == "between":
        return None
    unit_b = ub if ub != "clock" else "s"
    start = time_ms(a, default_unit=unit_b or "s")
    end = time_ms(b, default_unit=ua if ua not in (None, "clock") else "s")
    if start is None or end is None or end <= start:
        return None
    return start, end


def find_range(cl: Clause) -> tuple[Match[str], tuple[int, int]] | None:
    for m in cl.finditer(RANGE):
        span = time_range(m)
        if span:
            return m, span
    return None


# ---------------------------------------------------------------- aspect

def ext_aspect(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    ratio: str | None = None
    m = cl.grab(_RATIO)
    if m and f"{m.group(1)}:{m.group(2)}" in CANVAS:
        ratio = f"{m.group(1)}:{m.group(2)}"
    elif m is None:
        r = cl.grab(_RESOLUTION)
        if r:
            w, h = int(r.group(1)), int(r.group(2))
            ratio = "4:5" if abs(w / h - 0.8) < 0.02 else canvas_for(w, h)
    target = next((name for name, items in v.raw.get("targets", {}).items()
                   if cl.search(words(items))), None)
    for entry in v.raw["aspect"]:
        hit = cl.finditer(words(entry["words"]))
        if hit and ratio is None:
            ratio = str(entry["ratio"])
        if hit and ratio is not None:
            for found in hit:
                cl.take(found)
    if target is not None:   # "square feed post": the ratio said stands when it fits
        st.target = target
        if ratio is None or ratio not in TARGET_RATIOS[target]:
            ratio = TARGET_RATIOS[target][0]
    no_crop = cl.search(v.re("no_crop"))
    cl.grab_all(v.re("no_crop"))
    if ratio:
        st.ratio = ratio
        cl.topic = "aspect"
        for m2 in cl.finditer(v.re("aspect_nouns")):
            cl.take(m2)
        if no_crop is None and cl.grab(v.re("crop")):
            st.fit = "crop"
    if no_crop is not None:
        st.fit = "blur"


# ---------------------------------------------------------------- cover

_COVER = r"(?<![a-z])(?:cover(?:\s+(?:frame|image|photo|picture))?|thumbnail|poster\s+frame|封面)(?![a-z])"


def ext_cover(cl: Clause, st: State, env: Env) -> None:
    if not cl.has(_COVER):
        return
    first = r"\bfirst\s+frame|第一帧|第一幀|开头|開頭"
    last = r"\blast\s+frame|最后一帧|最後一幀|结尾|結尾"
    at: int | None = None
    m = cl.search(first)
    if m:
        at = 0
    elif m := cl.search(last):
        at = max(0, env.total - 1)
    else:
        m = cl.search(rf"(?:\bat\s+|第\s*|\bfrom\s+)(?P<t>{T_OPT})") or cl.search(rf"(?P<t>{T})")
        if m:
            at = time_ms(m.group("t"))
    if at is None:
        return
    cl.take(m)
    cl.grab_all(_COVER)
    cl.grab_all(r"\b(?:frame|as|the|use)\b|的画面|的畫面|画面|畫面|帧|幀|作为|作為|做|当|當|用")
    st.cover = at
    cl.topic = "cover"


# ---------------------------------------------------------------- trim

# word groups of skill/data/planner.yaml (``groups:``)
_CUT = vocab().group("cut")
_KEEP = vocab().group("keep")
_HEAD = vocab().group("head")
_TAIL = vocab().group("tail")
_ZCUT = vocab().group("cut_zh")
_ZKEEP = vocab().group("keep_zh")


def _cut(st: State, head: int = 0, tail: int = 0) -> None:
    st.trims.append(CutEnds(head, tail))
    st.trim_verb = "cut"


def _keep_first(st: State, ms: int) -> None:
    st.trims.append(Trim(0, ms))
    st.trim_verb = "keep"


def _keep_last(st: State, env: Env, ms: int) -> None:
    st.trims.append(Trim(max(0, env.total - ms), None))
    st.trim_verb = "keep"


def ext_trim(cl: Clause, st: State, env: Env) -> None:
    if cl.slots(("quote", "title")) and not cl.has(rf"\b(?:{_CUT}|{_KEEP})\b|{_ZCUT}|{_ZKEEP}"):
        return   # "最后5秒加上“关注我”": the times place the text, the video stays whole
    before = len(st.trims)
    for rule in (_cut_en, _cut_zh, _keep_en, _keep_zh):
        rule(cl, st, env)
    if len(st.trims) > before:
        cl.topic = "trim"


def _cut_en(cl: Clause, st: State, env: Env) -> None:
    m = cl.grab(rf"\b{_CUT}\s+(?:off\s+)?(?:the\s+)?(?P<w>{_HEAD}|{_TAIL})\s+(?:second|sec)\b")
    if m:   # "trim off the first second"
        _cut(st, **({"head": 1000} if re.match(_HEAD, m.group("w"), re.I) else {"tail": 1000}))
    m = cl.grab(rf"\b{_CUT}\s+(?:off\s+)?(?:the\s+)?{_HEAD}\s+(?P<t>{T_OPT})")
    if m:
        _cut(st, head=time_ms(m.group("t")) or 0)
    m = cl.grab(rf"\b{_CUT}\s+(?:off\s+)?(?:the\s+)?{_TAIL}\s+(?P<t>{T_OPT})")
    if m:
        _cut(st, tail=time_ms(m.group("t")) or 0)
    m = cl.grab(rf"\b{_CUT}\s+(?P<t>{T})\s+(?:off\s+)?(?:from|at|of)\s+the\s+(?P<w>start|beginning|end)")
    if m:
        ms = time_ms(m.group("t")) or 0
        _cut(st, **({"tail": ms} if m.group("w").lower() == "end" else {"head": ms}))
    m = cl.search(rf"\b{_CUT}\s+(?:off\s+)?(?:the\s+)?(?P<w>ending|end|outro|beginning|start|intro)\b(?!\s*\d)")
    if m and not cl.has(T):
        st.pending_cut = (cl, m.span(), "tail" if m.group("w").lower() in ("ending", "end", "outro")
                          else "head")
    for m in cl.finditer(rf"\b{_CUT}\s+(?:out\s+)?(?:the\s+(?:part|bit|section)\s+)?{RANGE}"):
        span = time_range(m)
        if span:
            cl.take(m)
            st.trims.append(CutRange(*span))
            st.trim_verb = "cut"


def _keep_en(cl: Clause, st: State, env: Env) -> None:
    verbless_cut = st.trim_verb == "cut" and not cl.has(rf"\b{_KEEP}\b")
    if st.pending_cut is not None:   # "cut the ending, last 6 seconds"
        m = cl.search(rf"(?:the\s+)?(?:(?:first|last|final)\s+)?(?P<t>{T})")
        if m and (ms := time_ms(m.group("t"))):
            owner, where, side = st.pending_cut
            owner.take(where)
            cl.take(m)
            _cut(st, **({"tail": ms} if side == "tail" else {"head": ms}))
            st.pending_cut = None
            return
    m = cl.search(rf"(?:\b(?:{_KEEP}|shorten|trim|cut|clip|reduce)\s+(?:it\s+|this\s+)?(?:down\s+)?(?:to\s+)?)?"
                  rf"(?:only\s+)?(?:the\s+)?\b{_HEAD}\s+(?P<t>{T_OPT})(?:\s+only)?")
    if m and (ms := time_ms(m.group("t"))):
        cl.take(m)
        if verbless_cut:
            _cut(st, head=ms)
        else:
            _keep_first(st, ms)
    m = cl.search(rf"(?:\b{_KEEP}\s+)?(?:only\s+)?(?:the\s+)?\b(?:last|final)\s+(?P<t>{T_OPT})(?:\s+only)?")
    if m and (ms := time_ms(m.group("t"))):
        cl.take(m)
        if verbless_cut:
            _cut(st, tail=ms)
        else:
            _keep_last(st, env, ms)
    m = cl.search(rf"(?:\b(?:{_KEEP}|trim|cut|clip)\s+(?:it\s+|only\s+)?(?:to\s+)?|{_ZKEEP})?(?:the\s+(?:part|bit|section)\s+)?{RANGE}")
    if m and (span := time_range(m)):
        cl.take(m)
        st.trims.append(Trim(*span))
        st.trim_verb = "keep"
    m = cl.grab(rf"\b(?:start|begin)\s+(?:it\s+|the\s+video\s+)?(?:at|from)\s+(?P<t>{T_OPT})"
                rf"|\b(?:skip\s+to|jump\s+to)\s+(?P<t2>{T_OPT})"
                rf"|\bfrom\s+(?P<t3>{T})\s+(?:on(?:wards?)?|to\s+the\s+end)\b")
    if m and (ms := time_ms(m.group("t") or m.group("t2") or m.group("t3"))):
        st.trims.append(Trim(ms, None))
        st.trim_verb = "keep"
    m = cl.grab(rf"\b(?:trim|cut|shorten|reduce|clip|make|keep)\s+(?:it\s+|this\s+|the\s+video\s+)?"
                rf"(?:down\s+)?(?:to\s+)?(?:under|below|less\s+than|at\s+most|no\s+(?:more|longer)\s+than|within)?\s*"
                rf"(?:just\s+|only\s+|the\s+first\s+)?(?P<t>{T})(?:\s+long)?")
    if m is None:
        m = cl.grab(rf"(?P<t>{T})\s+(?:long|max(?:imum)?)\b")
    if m and (ms := time_ms(m.group("t"))):
        _keep_first(st, ms)
    # "a 6 second reel", "an 8-second video from this photo" (the length of what is made)
    # — after "make"/"create" also at the end, where "reel" was already taken as the ratio
    m = cl.grab(r"(?P<v>\b(?:make|create|turn\s+(?:it|this)\s+into|give\s+me)\s+(?:it\s+|me\s+)?)?"
                r"\b(?:an?|one)\s+(?P<n>\d+(?:\.\d+)?)[- ]?(?:seconds?|secs?|s)(?:[- ]long)?"
                r"(?:(?=\s*(?:reels?|videos?|clips?|posts?|stor(?:y|ies)|from|out\s+of))"
                r"|(?(v)(?=\W*$)|(?!)))")
    if m:
        _keep_first(st, round(float(m.group("n")) * 1000))
    # "keep up to 0:20", "end at 20 seconds", "cut everything after 20 s"
    m = cl.grab(rf"\b(?:keep\s+(?:it\s+)?(?:up\s+)?(?:to|until|till)|(?:end|stop|finish)\s+(?:it\s+|the\s+video\s+)?(?:at|after)"
                rf"|(?:cut|remove|drop|delete)\s+(?:off\s+)?(?:everything|anything|all)\s+(?:after|past|beyond))"
                rf"\s+(?:the\s+)?(?P<t>{T_OPT})(?:\s+mark)?")
    if m and (ms := time_ms(m.group("t"))):
        _keep_first(st, ms)


def _cut_zh(cl: Clause, st: State, env: Env) -> None:
    m = cl.grab(rf"{_ZCUT}(?:视频|視頻)?的?(?:开头|開頭|前面|前)的?\s*(?:第)?(?P<t>{T})|(?:开头|開頭|前面?)(?P<t2>{T})(?:不要|去掉|删掉|刪掉)")
    if m:
        _cut(st, head=time_ms(m.group("t") or m.group("t2")) or 0)
    head_done = m is not None
    m = cl.grab(rf"{_ZCUT}(?:视频|視頻)?的?(?:最后|最後|结尾|結尾|末尾|后面|後面|后|後)的?\s*(?P<t>{T})|(?:最后|最後|结尾|結尾)(?P<t2>{T})(?:不要|去掉|删掉|刪掉)")
    if m is None and head_done:   # 剪掉开头5秒和结尾3秒: one verb for both ends
        m = cl.grab(rf"(?:和|跟|与|與|以及|还有|還有|、)?\s*(?:最后|最後|结尾|結尾|末尾)的?\s*(?P<t>{T})")
    if m:
        _cut(st, tail=time_ms(m.group("t") or m.groupdict().get("t2") or "") or 0)
    for m in cl.finditer(rf"{_ZCUT}(?:中间)?的?{RANGE}(?:的(?:部分|内容|片段))?"):
        span = time_range(m)
        if span:
            cl.take(m)
            st.trims.append(CutRange(*span))


def _keep_zh(cl: Clause, st: State, env: Env) -> None:
    # 只保留到20秒, 到第20秒结束, 20秒以后的都不要 (before 20秒之后, which keeps the rest)
    m = cl.grab(rf"(?:只)?(?:保留|留)(?:到|至)第?\s*(?P<t>{T})(?:为止|為止)?"
                rf"|到第?\s*(?P<t2>{T})(?:结束|結束|为止|為止|停)"
                rf"|第?\s*(?P<t3>{T})(?:以后|以後|之后|之後)的?(?:部分|内容|內容)?(?:都|全部)?(?:不要|去掉|删掉|刪掉|剪掉)")
    if m and (ms := time_ms(m.group("t") or m.group("t2") or m.group("t3"))):
        _keep_first(st, ms)
    m = cl.grab(rf"{_ZKEEP}?(?:视频|視頻)?的?前\s*(?P<t>{T})")
    if m and (ms := time_ms(m.group("t"))):
        _keep_first(st, ms)
    m = cl.grab(rf"{_ZKEEP}?(?:视频|視頻)?的?(?:最后|最後)\s*(?P<t>{T})")
    if m and (ms := time_ms(m.group("t"))):
        _keep_last(st, env, ms)
    m = cl.grab(rf"{_ZKEEP}?(?:从|從)?第?\s*(?P<t>{T})(?:之后|之後|以后|以後|开始|開始|起)")
    if m and (ms := time_ms(m.group("t"))):
        st.trims.append(Trim(ms, None))
    m = cl.search(rf"{_ZKEEP}?{RANGE}(?:的(?:部分|内容|片段))?")
    if m and (span := time_range(m)):
        cl.take(m)
        st.trims.append(Trim(*span))
    m = cl.grab(rf"(?:剪到|剪成|缩短到|縮短到|缩短为|縮短為|控制在|截到|裁到|剪短到|时长|時長)\s*(?P<t>{T})(?:以内|以內)?")
    if m is None:   # 做成8秒的视频, 一个10秒的Reel
        m = cl.grab(rf"(?:做成|弄成|变成|變成|一个|一個)\s*(?P<t>{T})(?:长|長)?(?:的)?")
    if m and (ms := time_ms(m.group("t"))):
        _keep_first(st, ms)


# ---------------------------------------------------------------- speed

_SPEEDWORD = vocab().group("speed")


def _set_speed(cl: Clause, st: State, m: Match[str] | None, factor: float | None) -> bool:
    if m is None or factor is None or factor <= 0:
        return False
    cl.take(m)
    st.speed = factor
    cl.topic = "speed"
    cl.grab_all(r"\b(?:(?:playback\s+)?speed|faster|times|slow[- ]?mo(?:tion)?|slowmo|time-?lapse|in|slow(?:\s+(?:it|this))?(?:\s+down)?(?:\s+to)?)\b"
                r"|速度|倍速|播放")
    return True


#: a part of the video named without times ("the boring middle part"): speed applies to
#: the whole video only, so such a request is left not understood rather than misapplied
_PART = (r"\b(?:middle|part|parts|section|sections|segment|segments|scene|scenes|moment|moments)\b"
         r"|中间|中間|部分|片段|那段|某段")


def ext_speed(cl: Clause, st: State, env: Env) -> None:
    def n(m: Match[str]) -> float | None:
        return parse_num(m.group("n"))

    if cl.has(_PART):
        return

    m = cl.search(rf"\b(?:playback\s+)?speed\s*(?:it\s+|this\s+)?(?:up\s+)?(?:to|at|of|=|:)?\s*(?P<n>{NUM})\s*(?P<u>%|percent|x|×|times)?(?:\s+(?:faster|speed))?")
    if m and (val := n(m)) is not None:
        factor = val / 100 if (m.group("u") or "").lower() in ("%", "percent") else val
        if _set_speed(cl, st, m, factor):
            return
    m = cl.search(rf"(?P<n>{NUM})\s*(?:x|×|times)\s*slower|\bslow\s+(?:it\s+)?down\s+(?:by\s+)?(?P<n2>{NUM})\s*(?:x|×|times)")
    if m:
        val = parse_num(m.group("n") or m.group("n2"))
        if _set_speed(cl, st, m, 1 / val if val else None):
            return
    m = cl.search(rf"(?<![\w.])(?P<n>\d+(?:\.\d+)?)\s*[x×](?![a-z\d])(?:\s*(?:speed|faster|as\s+fast))?|(?P<n2>{NUM})\s*times\s+(?:as\s+fast|faster|speed|the\s+speed)")
    if m and (m.group("n2") or m.group("n")):
        if _set_speed(cl, st, m, parse_num(m.group("n") or m.group("n2"))):
            return
    if cl.has(_SPEEDWORD):
        m = cl.search(r"[x×]\s*(?P<n>\d+(?:\.\d+)?)\b")
        if m and _set_speed(cl, st, m, n(m)):
            return
    for pattern, factor in (
        (r"\btwice\s+as\s+fast\b|\bdouble(?:\s+the)?\s+speed\b|\bdouble[- ]time\b", 2.0),
        (r"\bquarter\s+(?:the\s+)?speed\b|\bsuper\s+slow(?:[- ]?mo(?:tion)?)?\b", 0.25),
        (r"\bhalf\s+(?:the\s+)?speed\b|\bhalf[- ]time\b|\bhalf\s+as\s+fast\b", 0.5),
        (r"\bslow[- ]?mo(?:tion)?\b|\bslowmo\b", 0.5),
        (r"\b(?:normal|original|regular|real[- ]?time)\s+speed\b|\breal[- ]?time\b", 1.0),
        (r"\bslow\s+(?:it\s+|this\s+|the\s+video\s+)?down\s+by\s+(?:a\s+)?half\b", 0.5),
        (r"\bslow\s+(?:it\s+|this\s+|the\s+video\s+)?down\b|\bslower\b", 0.5),
        (r"\bspeed\s+(?:it\s+|this\s+|the\s+video\s+)?up\b|\bfaster\b|\bfast[- ]forward\b|\bquicker\b|\baccelerate\b", 1.5),
    ):
        if _set_speed(cl, st, cl.search(pattern), factor):
            return
    m = cl.search(rf"(?:加速|快进|快進|提速|速度(?:调成|調成|调到|調到|设为|設為|改成|改为|改為|变成|變成|为|為)?)\s*(?:到|至|为|為)?\s*(?P<n>{NUM})\s*倍(?:速)?"
                  rf"|(?P<n2>{NUM})\s*倍(?:速|快|速度|播放)")
    if m and _set_speed(cl, st, m, parse_num(m.group("n") or m.group("n2"))):
        return
    m = cl.search(rf"(?:慢放|减速|減速|放慢|慢)\s*(?P<n>{NUM})\s*倍")
    if m and (val := n(m)):   # 放慢一倍 is half speed: "slower by one times"
        if _set_speed(cl, st, m, 0.5 if val == 1 else 1 / val):
            return
    for pattern, factor in (
        (r"半速|一半速度|速度减半|速度減半|(?:放慢|减慢|減慢|慢)一半", 0.5),
        (r"慢动作|慢動作|慢镜头|慢鏡頭|慢放|慢速|放慢", 0.5),
        (r"正常速度|原速|恢复速度|恢復速度", 1.0),
        (r"加速|加快|快进|快進|快放|变快|變快|提速|快一点|快一點", 1.5),
    ):
        if _set_speed(cl, st, cl.search(pattern), factor):
            return


# ---------------------------------------------------------------- look, fades, loudness, join

_LOOK_NOUNS = (r"\b(?:look|tones?|colou?rs?|grade|grading|filter|tint|feel|vibe|lut|effect|style)\b"
               r"|\bfilm\b|色调|色調|滤镜|濾鏡|效果|风格|風格|颜色|顏色|色彩")


def _add_look(st: State, look: str) -> None:
    """Looks compose ("vivid and brighter"); a part that cannot stay is named in a note."""
    from ..ops.looks import compose

    st.look, dropped = compose(st.look, look)
    if dropped:
        st.notes.append("plan_note_look_replaced")
        st.look_dropped.extend(dropped)


def ext_look(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    found = False
    for look in ("bw", "vivid", "bright", "warm", "cool", "none"):
        if cl.grab(v.re("looks", look)):
            _add_look(st, look)
            found = True
    if found:
        cl.topic = "look"
        cl.grab_all(_LOOK_NOUNS)
        return
    if cl.taken == 0:   # a bare "warmer" only when the clause is about nothing else
        for look, items in v.raw["look_weak"].items():
            m = cl.search(words(items))
            if m:
                cl.take(m)
                if cl.leftovers():
                    cl.work = cl.text  # not a look after all: leave the clause alone
                    cl.taken = 0
                    return
                _add_look(st, look)
                cl.topic = "look"
                return


_FADE_BOTH = r"\bfade(?:s|d)?\s*(?:it\s+|things\s+)?in\s*(?:and|&|\+|/)\s*(?:fade\s*)?out\b|淡入淡出|淡入和淡出|渐显渐隐|漸顯漸隱"
_FADE_IN = r"\bfade(?:s|d)?[- ]?(?:it\s+|them\s+|things\s+)?in\b|\bfade[- ]?in\b|淡入|渐显|漸顯|渐入|漸入"
_FADE_OUT = r"\bfade(?:s|d)?[- ]?(?:it\s+|them\s+|things\s+)?out\b|\bfade[- ]?out\b|\bfade\s+to\s+black\b|淡出|渐隐|漸隱|渐出|漸出"


def fade_duration(cl: Clause, default: int) -> int:
    m = cl.grab(rf"(?:\bover\s+|\bfor\s+|持续|持續)?(?P<t>{T})(?:[- ]long)?")
    return (time_ms(m.group("t")) or default) if m else default


def ext_fade(cl: Clause, st: State, env: Env) -> None:
    if cl.grab(r"\bno\s+fades?\b|\bremove\s+(?:the\s+)?fades?\b|取消淡入淡出|不要淡入淡出"):
        st.fade("both", "in", 0)
        st.fade("both", "out", 0)
        return
    both = cl.grab(_FADE_BOTH)
    fin = None if both else cl.grab(_FADE_IN)
    fout = None if both else cl.grab(_FADE_OUT)
    if not (both or fin or fout):
        return
    target = "both"
    if cl.grab(r"\b(?:the\s+)?(?:video|picture|image|visuals?)\b|from\s+black|to\s+black|画面|畫面|黑场|黑場"):
        target = "video"
    elif cl.grab(r"\b(?:the\s+)?(?:audio|sound)\b|声音|聲音|音频|音頻"):
        target = "audio"
    if fout and cl.text[fout.start():fout.end()].lower().endswith("black"):
        target = "video"
    ms = fade_duration(cl, 1000)
    cl.grab(r"\bat\s+the\s+(?:end|start|beginning)\b|\bin\s+the\s+end\b|开头|開頭|结尾|結尾|最后|最後")
    if both or fin:
        st.fade(target, "in", ms)
    if both or fout:
        st.fade(target, "out", ms)
    cl.topic = "fade"


def ext_loudnorm(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    if cl.grab(v.re("loudnorm_off")):
        st.loudnorm = False
    elif cl.grab_all(v.re("loudnorm_on")):
        st.loudnorm = True
        cl.grab(r"\b(?:the\s+)?(?:loudness|audio|volume)\b|响度|響度")


def ext_join(cl: Clause, st: State, env: Env) -> None:
    v = vocab()
    if cl.grab(v.re("reverse_order")):
        st.join = "reverse"
        cl.grab(v.re("join"))
    elif cl.grab(v.re("join")):
        st.join = st.join or "upload"
    else:
        return
    cl.grab(r"\b(?:in\s+(?:the\s+)?(?:same\s+|upload(?:ed)?\s+|original\s+)?order(?:\s+(?:i|they\s+were|you)\s+(?:uploaded|added|sent|got)(?:\s+(?:them|it))?)?|in\s+sequence)\b"
            r"|按顺序|按順序|按上传顺序|按上傳順序")
    cl.grab(r"\b(?:all\s+)?(?:the\s+|my\s+)?(?:clips|videos|them|files|parts)\b|所有片段|片段|素材")
    cl.topic = "join"
