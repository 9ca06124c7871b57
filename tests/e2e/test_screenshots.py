"""Screenshots of the main views, as shown in the README and docs/web-client.md.

Every run takes them (so a view that breaks fails here); `CHAT_UPDATE_SCREENSHOTS=1` also
writes them into docs/img/, which is how the committed pictures are regenerated.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

from playwright.sync_api import expect

from tests.support.ports import unique
from tests.support.settings import ROOT

from .test_uploads import attach_with_picker

DOCS_IMG = ROOT / "docs" / "img"


def banner_png(width: int, height: int) -> bytes:
    """A diagonal indigo-to-pink gradient, so the preview in the pictures looks like a picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            t = (x / width + y / height) / 2
            rows += bytes((int(79 + 140 * t), int(70 - 20 * t), int(229 - 110 * t)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


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
    leo.wait_for_bodies(["Morning! The release notes are in the doc, could you give them a read?"])
    leo.send("Sure, reading them now.")
    leo.send("Two typos in the second section, otherwise it looks great.\nShip it?")
    attach_with_picker(maya, "release-banner.png", "image/png", banner_png(360, 140))
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
    maya.composer().press_sequentially("Thanks", delay=20)
    expect(leo.page.locator(".typing")).to_have_text(f"{maya.name} is typing…")
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


def test_screenshots_of_a_thread_with_reactions_and_of_search(stack, people, tmp_path):
    """The v2 views: a thread open beside the room with reactions and a mention of the reader,
    and search results with the words found marked."""
    shots: list[Path] = []

    def shoot(person, name: str) -> None:
        path = tmp_path / f"{name}.png"
        person.page.screenshot(path=str(path))
        shots.append(path)

    maya = people(stack.front_a.origin, name=unique("maya")[:9]).sign_up()
    leo = people(stack.front_b.origin, name=unique("leo")[:8]).sign_up()
    release = unique("release-")[:12]
    maya.create_room(release)
    leo.open_room(release)
    checklist = "Release checklist for Friday: tests green, notes written, banner ready. Anything missing?"
    maya.send(checklist)
    maya.send(f"@{leo.name} could you write the release announcement?")
    leo.wait_for_bodies([checklist, f"@{leo.name} could you write the release announcement?"])

    def react(person, body: str, emoji_name: str) -> None:
        item = person.page.locator("ol.messages > li.message", has_text=body)
        item.hover()
        item.get_by_role("button", name="Add reaction").click()
        picker = person.page.get_by_role("dialog", name="Add a reaction")
        picker.get_by_role("button", name=emoji_name).click()

    react(leo, checklist, "thumbs up")
    react(maya, checklist, "thumbs up")
    react(maya, checklist, "rocket")
    react(leo, "could you write", "done")

    root = leo.page.locator("ol.messages > li.message", has_text=checklist)
    root.hover()
    root.get_by_role("button", name="Reply in thread").click()
    box = leo.page.get_by_label("Reply to the thread", exact=True)
    box.fill(f"@{maya.name} the changelog still names the old search endpoint.")
    box.press("Enter")
    maya_root = maya.page.locator("ol.messages > li.message", has_text=checklist)
    maya_root.get_by_role("button", name="1 reply").click()
    maya_box = maya.page.get_by_label("Reply to the thread", exact=True)
    maya_box.fill("Good catch, fixed in the notes. Release stays on Friday.")
    maya_box.press("Enter")
    replies = leo.page.get_by_role("list", name="Replies", exact=True).locator("li.message")
    expect(replies).to_have_count(2)
    reply = replies.nth(1)
    reply.hover()
    reply.get_by_role("button", name="Add reaction").click()
    leo.page.get_by_role("dialog", name="Add a reaction").get_by_role("button", name="heart").click()
    maya_replies = maya.page.get_by_role("list", name="Replies", exact=True)
    expect(maya_replies.locator("button.reaction")).to_have_count(1)
    maya.send("Standup moves to 10:30 tomorrow.")
    leo.wait_for_bodies(["Standup moves to 10:30 tomorrow."])
    expect(root.get_by_role("button", name="2 replies")).to_be_visible()
    leo.composer().focus()
    leo.page.mouse.move(0, 0)
    leo.page.wait_for_timeout(300)  # hover controls fade out
    shoot(leo, "thread")

    search = leo.page.get_by_role("searchbox", name="Search messages")
    search.fill("release fri")
    search.press("Enter")
    results = leo.page.get_by_role("list", name="Search results").get_by_role("button")
    expect(results).to_have_count(2)
    leo.page.mouse.move(0, 0)
    leo.page.wait_for_timeout(300)  # hover controls fade out
    shoot(leo, "search")

    for path in shots:
        width, height = png_size(path)
        assert width >= 1280 and height >= 800, (path, width, height)
    if os.environ.get("CHAT_UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        for path in shots:
            shutil.copyfile(path, DOCS_IMG / f"web-{path.name}")
