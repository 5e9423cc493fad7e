"""Rules for text style and format requests: "make the title bigger", "字幕放到底部",
"captions in yellow", "make it 30 fps" / "60帧". Each extractor reads one clause and records
what it understood in the :class:`~.rulebase.State` (see :mod:`.rules_av`)."""

from __future__ import annotations

from ..ops.style import COLORS
from .rulebase import Clause, Env, State

_TITLE = r"\b(?:titles?|headings?|headlines?)\b|标题|標題|大标题|大標題"
_CAPTION = r"\b(?:captions?|subtitles?|subs)\b|字幕"
_TEXT = r"\b(?:text|texts|words|writing|lettering|font)\b|文字|文本|字体|字體|字"
_BIGGER = (r"\b(?:much\s+|a\s+lot\s+|way\s+)?(?:bigger|larger|huger)\b|\b(?:increase|enlarge)\b"
           r"|(?:大一点|大一點|大点|大點|放大|大一些|加大|更大|大些)")
_SMALLER = (r"\b(?:much\s+|a\s+lot\s+)?(?:smaller|tinier)\b|\b(?:decrease|shrink|reduce)\b"
            r"|(?:小一点|小一點|小点|小點|缩小|縮小|小一些|更小|小些)")
_MUCH = r"\b(?:much|a\s+lot|way)\b|很多|非常|特别|特別"
_POSITIONS = (
    ("top", r"\b(?:to\s+|at\s+|on\s+)?(?:the\s+)?top\b|顶部|頂部|上面|上方|最上"),
    ("bottom", r"\b(?:to\s+|at\s+|on\s+)?(?:the\s+)?bottom\b|底部|下面|下方|最下"),
    ("center", r"\b(?:to\s+|at\s+|in\s+)?(?:the\s+)?(?:middle|centre|center)\b|中间|中間|正中|居中"),
)
_ZH_COLORS = {"white": "白", "black": "黑", "yellow": "黄|黃", "red": "红|紅", "orange": "橙|橘",
              "pink": "粉", "purple": "紫", "blue": "蓝|藍", "green": "绿|綠", "gold": "金"}
_FPS = (r"(?P<n>\d{2})\s*(?:fps|frames?\s*(?:per|/)\s*s(?:ec(?:ond)?)?|p(?=\s*fps)|帧(?:每秒)?|幀(?:每秒)?)"
        r"|(?:frame\s*rate|帧率|幀率)\s*(?:of|to|at|=|:|为|為|改成|设为|設為)?\s*(?P<n2>\d{2})")
_VERBS = (r"\b(?:make|move|put|place|change|turn|set|switch|color|colour|have|show|a\s+bit|little)\b"
          r"|\bin\b|把|让|讓|放到|放在|移到|移动到|移動到|改成|改为|改為|换成|換成|变成|變成|调成|調成|颜色|顏色|色")


def ext_text_style(cl: Clause, st: State, env: Env) -> None:
    if cl.slots():          # quoted words: a new title or caption (its own rules place it)
        return
    title, caption = cl.search(_TITLE), cl.search(_CAPTION)
    text = None if title or caption else cl.search(_TEXT)
    if title or caption or text:
        what = "all" if text or (title and caption) else ("title" if title else "captions")
    elif st.prev_topic == "style" and st.styles:   # "captions in yellow and much smaller"
        what = list(st.styles)[-1]
    else:
        return
    style: dict[str, object] = {}
    if m := cl.search(_BIGGER):
        style["scale_pct"] = 160 if cl.has(_MUCH) else 130
        cl.take(m)
    elif m := cl.search(_SMALLER):
        style["scale_pct"] = 60 if cl.has(_MUCH) else 75
        cl.take(m)
    for name, pattern in _POSITIONS:
        if m := cl.search(pattern):
            style["position"] = name
            cl.take(m)
            break
    for name in COLORS:
        pattern = rf"\b{name}\b|(?:{_ZH_COLORS[name]})色"
        if m := cl.search(pattern):
            style["color"] = name
            cl.take(m)
            break
    if not style:
        return
    for m in (title, caption, text):
        if m is not None:
            cl.grab_all(m.re.pattern)
    cl.grab_all(_MUCH)
    cl.grab_all(_VERBS)
    st.styles.setdefault(what, {}).update(style)
    cl.topic = "style"


def ext_fps(cl: Clause, st: State, env: Env) -> None:
    m = cl.search(_FPS)
    if not m:
        return
    fps = int(m.group("n") or m.group("n2"))
    if fps in (30, 60):   # what the engine renders (60 only from 60 fps clips: the op
        #                   checks and says so); other rates stay in the words: not done
        cl.take(m)
        cl.grab_all(r"\b(?:make|it|at|to|in|the|frame\s*rate|export|render)\b|帧率|幀率|改成|设为|設為|导出|導出")
        st.fps = fps


__all__ = ["ext_fps", "ext_text_style"]
