"""Screenshots of the main views, as shown in the README and docs/web-client.md.

Every run takes them (so a view that breaks fails here); `CHAT_UPDATE_SCREENSHOTS=1` also
writes them into docs/img/, which is how the committed pictures are regenerated.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from playwright.sync_api import expect

from .support import REPO, unique
from .test_uploads import attach_with_picker, png

DOCS_IMG = REPO / "docs" / "img"


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_screenshots_of_the_main_views(stack, people, tmp_path):
    shots: list[Path] = []

    def shoot(person, name: str) -> None:
        path = tmp_path / f"{name}.png"
        person.page.screenshot(path=str(path))
        shots.append(path)

    visitor = people(stack.front_a.origin)
    visitor.open()
    expect(visitor.page.get_by_role("heading", name="Sign in to Chat")).to_be_visible()
    shoot(visitor, "sign-in")

    maya = people(stack.front_a.origin, name=unique("maya")[:9]).sign_up()
    leo = people(stack.front_b.origin, name=unique("leo")[:8]).sign_up()
    team, design = unique("team-")[:9], unique("design-")[:11]
    maya.create_room(design)
    maya.create_room(team)
    leo.open_room(design)
    leo.open_room(team)
    maya.send("Morning! The release notes are in the doc, could you give them a read?")
    leo.send("Sure, reading them now.")
    leo.send("Two typos in the second section, otherwise it looks great.\nShip it?")
    attach_with_picker(maya, "release-banner.png", "image/png", png(360, 140, (79, 70, 229)))
    expect(maya.page.get_by_text("Ready to send")).to_be_visible()
    maya.composer().fill("Fixed. Here is the banner for the announcement:")
    maya.composer().press("Enter")
    leo.wait_for_bodies(["Fixed. Here is the banner for the announcement:"])
    maya.page.locator("ol.messages img").last.wait_for()
    leo.page.locator("ol.messages img").last.wait_for()
    maya.open_room(design)
    maya.send("Mock-ups for the settings page are up.")
    maya.open_room(team)
    leo.open_room(team)
    leo.composer().press_sequentially("Looks good", delay=20)
    expect(maya.page.locator(".typing")).not_to_be_empty()
    leo.page.wait_for_function(
        "() => [...document.querySelectorAll('ol.messages img')].every(i => i.naturalWidth > 0)"
    )
    shoot(leo, "conversation")

    phone = people(
        stack.front_b.origin,
        name=leo.name,
        viewport={"width": 390, "height": 780},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone.sign_in()
    phone.expect_signed_in()
    phone.room = team
    phone.page.goto(f"{phone.origin}/#/r/{team}")
    phone.expect_in_room(team)
    phone.page.wait_for_function(
        "() => [...document.querySelectorAll('ol.messages img')].every(i => i.naturalWidth > 0)"
    )
    shoot(phone, "mobile")

    for path in shots:
        width, height = png_size(path)
        assert width >= 390 and height >= 700, (path, width, height)
    if os.environ.get("CHAT_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        for path in shots:
            shutil.copyfile(path, DOCS_IMG / f"web-{path.name}")
