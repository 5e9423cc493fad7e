"""Everything under IGEDIT_HOME is 0600 and its folders 0700; exports follow the umask.

The walk runs after real work through the CLI, under the common umask 022 (which
would make files 0644 and folders 0755 if igedit left it to the umask): an upload
(with its background preview proxy), edits with music, a title and a cover, an
export, a preview, and bytes received like a download or a serve upload.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skill.engine.db import EngineDB
from skill.engine.intake import ingest_stored, temp_path
from skill.engine.render.proxy import building, proxy_path
from skill.private import secure_home
from tests.mounts import ls_modes
from tests.test_local_helpers import make_clip

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def run(*args: str, cwd: Path, umask: int, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "skill", "--backend", "local", *args],  # noqa: S603
                          cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=180, umask=umask)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_home_is_private_after_real_work_and_exports_follow_the_umask(
        home: Path, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=2.0)
    out = tmp_path / "out"
    out.mkdir()
    proxies = {"IGEDIT_PROXIES": "1"}
    run("upload", str(clip), cwd=tmp_path, umask=0o022, env=proxies)
    dest = proxy_path(clip, home / "proxies")
    deadline = time.monotonic() + 120
    while not dest.is_file() or building(dest) is not None:   # the background builder
        assert time.monotonic() < deadline, "the preview proxy was never made"
        time.sleep(0.1)
    run("edit", "crop to square with lo-fi music and the title 'Urban Dreams', use 1 second "
        "as the cover", cwd=tmp_path, umask=0o022)
    run("export", "-o", str(out / "reel.mp4"), cwd=tmp_path, umask=0o022)
    run("export", "--preview", "-o", str(out / "preview.mp4"), cwd=tmp_path, umask=0o027,
        env=proxies)
    run("sample", "-o", str(out / "sample.mp4"), "--seconds", "1", cwd=tmp_path, umask=0o002)

    # bytes that arrive over the network (a URL download, a serve upload) land here
    phone = make_clip(tmp_path / "phone.mp4", seconds=1.0).read_bytes()

    async def receive() -> None:
        db = EngineDB(home / "engine.sqlite")
        tmp = temp_path(home / "media")
        tmp.write_bytes(phone)
        import hashlib

        sha = hashlib.sha256(phone).hexdigest()
        await ingest_stored(db, tmp, name="phone.mp4", sha=sha, media_dir=home / "media")

    old = os.umask(0o022)
    try:
        asyncio.run(receive())
    finally:
        os.umask(old)

    modes = ls_modes(home)
    names = set(modes)
    # the work really happened: the walk sees every kind of file
    assert {"engine.sqlite", "renders.json", "proxies", "music", "renders", "media"} <= names
    assert any(n.startswith("renders/") and n.endswith(".mp4") for n in names)
    assert any(n.startswith("renders/") and n.endswith(".jpg") for n in names)   # the cover
    assert any(n.startswith("proxies/") and n.endswith(".mp4") for n in names)
    assert any(n.startswith("music/") and n.endswith(".wav") for n in names)
    assert any(n.startswith("media/") and n.endswith(".mp4") for n in names)
    assert any(n.startswith("proxies/.") and n.endswith(".lock") for n in names)
    wrong = {}
    for name, mode in modes.items():
        path = home / name if name != "." else home
        want = 0o700 if path.is_dir() else 0o600
        if mode != want:
            wrong[name] = oct(mode)
    assert wrong == {}
    # exports are the user's files: their umask decides
    assert stat.S_IMODE((out / "reel.mp4").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "reel.jpg").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "preview.mp4").stat().st_mode) == 0o640
    assert stat.S_IMODE((out / "sample.mp4").stat().st_mode) == 0o664


def test_a_home_from_an_older_igedit_is_made_private_once(home: Path) -> None:
    for folder in ("media", "renders/sub", "proxies"):
        (home / folder).mkdir(parents=True)
    for name in ("engine.sqlite", "auth.json", "renders/r.mp4", "renders/sub/x",
                 "media/a.mp4", ".renders.lock"):
        (home / name).write_bytes(b"x")
        os.chmod(home / name, 0o644)
    for folder in (home, home / "media", home / "renders", home / "renders/sub", home / "proxies"):
        os.chmod(folder, 0o755)
    secure_home(home)
    assert {n: oct(m) for n, m in ls_modes(home).items()} == {
        ".": "0o700", "media": "0o700", "renders": "0o700", "renders/sub": "0o700",
        "proxies": "0o700", "engine.sqlite": "0o600", "auth.json": "0o600",
        "renders/r.mp4": "0o600", "renders/sub/x": "0o600", "media/a.mp4": "0o600",
        ".renders.lock": "0o600"}


def test_a_shared_folder_used_as_home_keeps_the_users_files_as_they_are(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    (shared / "holiday.mp4").write_bytes(b"x")
    os.chmod(shared / "holiday.mp4", 0o644)
    (shared / "engine.sqlite").write_bytes(b"x")
    os.chmod(shared / "engine.sqlite", 0o644)
    secure_home(shared)
    assert oct(stat.S_IMODE(shared.stat().st_mode)) == "0o755"            # not ours alone
    assert oct(stat.S_IMODE((shared / "holiday.mp4").stat().st_mode)) == "0o644"
    assert oct(stat.S_IMODE((shared / "engine.sqlite").stat().st_mode)) == "0o600"
