"""File names in any language, end to end: multipart ``filename`` as UTF-8 (RFC 7578)
and ``filename*`` (RFC 5987) on ``igedit serve``, and igedit's own cloud client
uploading ``视频.mp4`` to a real ``igedit serve`` on loopback."""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill.cloud.upload import FilePart, MultipartBody
from skill.serve import create_app
from skill.serve.multipart import disposition_params
from tests.servers import serve_in_thread
from tests.test_local_helpers import make_clip
from tests.test_serve_api import APP, authed, new_session

NAMES = ["视频.mp4", "🎬 my clip.mp4", "café.mp4", "Ünïcødé 動画 ✨.mp4"]


@pytest.fixture(scope="module")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_app(tmp_path / "server-home")) as url:
        yield url


def test_utf8_names_from_httpx_are_kept_as_written(base: str, tmp_path: Path,
                                                   clip_cache: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", cache_dir=clip_cache)
    data = clip.read_bytes()
    with authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}",
                   files=[("files", (name, data, "video/mp4")) for name in NAMES])
        state = c.get(f"/api/state/{APP}/me/{sid}/latest").json()["data"]["state"]
    body = r.json()
    assert body["code"] == 0, body
    assert [f["filename"] for f in body["data"]["files"]] == NAMES
    assert [v["filename"] for v in state["video_infos"]] == NAMES[:1]  # one content, one item
    assert state["draft"]["t"][0]["sg"][0]["m"]["name"] == "视频.mp4"


def _body(disposition: bytes, data: bytes) -> bytes:
    return (b"--XYZ\r\nContent-Disposition: form-data; name=\"files\"; " + disposition + b"\r\n"
            b"Content-Type: video/mp4\r\n\r\n" + data + b"\r\n--XYZ--\r\n")


@pytest.mark.parametrize("disposition,name", [
    # RFC 5987 wins over the ASCII fallback a careful old client sends beside it
    (b"filename=\"video.mp4\"; filename*=UTF-8''%E8%A7%86%E9%A2%91.mp4", "视频.mp4"),
    (b"filename*=utf-8''%F0%9F%8E%AC%20clip.mp4", "🎬 clip.mp4"),
    (b"filename=\"caf\xe9.mp4\"", "café.mp4"),  # ISO-8859-1 bytes from an old client
    ("filename=\"cafe\u0301.mp4\"".encode(), "cafe\u0301.mp4"),  # NFD (macOS) kept as written
    (b"filename=\"C:\\clips\\\xe8\xa7\x86\xe9\xa2\x91.mp4\"", "视频.mp4"),  # a Windows path
])
def test_raw_filename_forms(base: str, tmp_path: Path, clip_cache: Path, disposition: bytes,
                            name: str) -> None:
    data = make_clip(tmp_path / "c.mp4", cache_dir=clip_cache).read_bytes()
    with authed(base) as c:
        sid = new_session(c)
        r = c.post(f"/api/upload-video/{APP}/me/{sid}", content=_body(disposition, data),
                   headers={"Content-Type": "multipart/form-data; boundary=XYZ"})
    body = r.json()
    assert body["code"] == 0, body
    assert body["data"]["files"][0]["filename"] == name
    assert unicodedata.is_normalized("NFD", name) == unicodedata.is_normalized(
        "NFD", body["data"]["files"][0]["filename"])


def test_disposition_params_is_pure() -> None:
    assert disposition_params('form-data; name="files"; filename="a\\"b.mp4"') == {
        "name": "files", "filename": 'a"b.mp4'}
    assert disposition_params("form-data; name=files; filename*=UTF-8''%ZZ") == {
        "name": "files", "filename": "%ZZ"}  # not an escape: kept as it is
    assert disposition_params("form-data; filename*=bogus-charset''%E8") == {}
    assert disposition_params("form-data; filename*=UTF-8''%E8") == {}  # not UTF-8: ignored
    assert disposition_params("form-data") == {}


def test_the_cloud_client_writes_utf8_names(tmp_path: Path) -> None:
    path = tmp_path / "视频.mp4"
    path.write_bytes(b"\0" * 10)
    body = MultipartBody([FilePart.of(path)], boundary="B")
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in body])

    total = asyncio.run(collect())
    assert 'filename="视频.mp4"'.encode() in total
    assert len(total) == body.content_length


def test_cli_upload_and_status_through_the_cloud_client_keep_the_chinese_name(
        base: str, tmp_path: Path, clip_cache: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from skill.front.cli import main

    clip = make_clip(tmp_path / "视频.mp4", cache_dir=clip_cache)
    monkeypatch.setenv("NEMO_API_URL", base)
    assert main(["--backend", "cloud", "upload", str(clip)]) == 0
    uploaded = capsys.readouterr()
    assert "视频.mp4" in uploaded.out + uploaded.err
    assert main(["--backend", "cloud", "status"]) == 0
    status = capsys.readouterr().out
    assert "Timeline (1 track): 1. Video: 视频.mp4" in status
