"""The README's `make run` (scripts/run.sh) with nothing else running: no PostgreSQL, Redis or
S3 settings in its environment. Two people register, chat and share a picture, the server is
restarted, and both are still signed in and still see it."""

from __future__ import annotations

import os

from playwright.sync_api import expect

from tests.support.ports import free_port, unique
from tests.support.server import ServerProcess
from tests.support.settings import PYTHON, ROOT

from .test_uploads import attach_with_picker, png


def run_sh(data_dir, port: int, log) -> ServerProcess:
    """scripts/run.sh as `make run` starts it (HOST and PORT as the Makefile passes them)."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOST="127.0.0.1", PORT=str(port), PYTHON=PYTHON, CHAT_DATA_DIR=str(data_dir), LOG_LEVEL="INFO")
    srv = ServerProcess(env, log, "make-run", command=["bash", str(ROOT / "scripts" / "run.sh")], port=port)
    return srv.start(timeout=90)


def test_make_run_alone_does_everything_and_a_restart_signs_nobody_out(people, tmp_path):
    data = tmp_path / "var"
    srv = run_sh(data, free_port(), tmp_path / "run.log")
    try:
        alice = people(srv.url).sign_up()
        bob = people(srv.url).sign_up()
        room = unique("first-")
        alice.create_room(room)
        bob.open_room(room)
        alice.send("hello from the embedded default")
        bob.wait_for_bodies(["hello from the embedded default"])
        image = png(32, 24, (40, 160, 90))
        attach_with_picker(alice, "leaf.png", "image/png", image)
        expect(alice.page.get_by_text("Ready to send")).to_be_visible()
        alice.composer().fill("a picture")
        alice.composer().press("Enter")
        bob.wait_for_bodies(["hello from the embedded default", "a picture"])
        expect(bob.page.get_by_role("img", name="leaf.png")).to_be_visible()
        stored = [p for p in (data / "media").rglob("*") if p.is_file() and not p.name.endswith(".json")]
        assert [p.read_bytes() for p in stored] == [image]
        assert oct((data / "secret-key").stat().st_mode & 0o777) == "0o600"

        port = srv.port
        srv.stop()
        srv = run_sh(data, port, tmp_path / "run2.log")
        for person in (alice, bob):
            person.page.reload()
            person.expect_signed_in()
        bob.open_room(room)
        bob.wait_for_bodies(["hello from the embedded default", "a picture"])
        picture = bob.page.get_by_role("img", name="leaf.png")
        expect(picture).to_be_visible()
        bob.page.wait_for_function(
            "img => img.complete && img.naturalWidth === 32", arg=picture.element_handle()
        )
    finally:
        srv.close()
