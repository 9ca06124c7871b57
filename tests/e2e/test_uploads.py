"""Attachments: straight to S3 (moto's server) through the presigned POST with a progress bar,
then shown to the other person through `GET /api/uploads/<key>` and its redirect."""

from __future__ import annotations

import struct
import zlib

from playwright.sync_api import expect

from tests.support.ports import unique


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG image of one colour, made here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def attach_with_picker(person, name: str, mime: str, data: bytes) -> None:
    with person.page.expect_file_chooser() as chooser:
        person.page.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files({"name": name, "mimeType": mime, "buffer": data})


def test_image_uploaded_by_one_user_appears_for_the_other(stack, people, moto):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("pics-")
    alice.create_room(room)
    bob.open_room(room)

    image = png(64, 48, (220, 60, 90))
    attach_with_picker(alice, "sunset.png", "image/png", image)
    progress = alice.page.get_by_role("progressbar", name="Upload progress for sunset.png")
    expect(progress).to_be_visible()
    expect(alice.page.get_by_text("Ready to send")).to_be_visible()
    expect(progress).to_have_attribute("value", "100")
    alice.composer().fill("look at this")
    alice.composer().press("Enter")

    for p in (alice, bob):
        p.wait_for_bodies(["look at this"])
    picture = bob.page.get_by_role("img", name="sunset.png")
    expect(picture).to_be_visible()
    bob.page.wait_for_function(
        "img => img.complete && img.naturalWidth === 64 && img.naturalHeight === 48",
        arg=picture.element_handle(),
    )
    assert picture.get_attribute("src").startswith("blob:")

    # What bob sees is what alice posted: the object in the bucket is byte for byte the file.
    message = stack.api().history(bob.page.evaluate("sessionStorage.getItem('chat.token')"), room)[-1]
    attachment = message["attachment"]
    assert attachment["filename"] == "sunset.png"
    assert attachment["content_type"] == "image/png"
    assert attachment["size"] == len(image)
    stored = moto.client().get_object(Bucket=moto.bucket, Key=attachment["key"])
    assert stored["Body"].read() == image


def test_a_document_is_a_download_link_for_the_other_user(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("docs-")
    alice.create_room(room)
    bob.open_room(room)

    text = "minutes of the meeting\n" * 200
    # Dropped onto the conversation rather than picked, as people also do.
    alice.page.evaluate(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, { type: 'text/plain' }));
            const view = document.querySelector('main.room-view');
            view.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true }));
            view.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true }));
        }""",
        ["minutes.txt", text],
    )
    expect(alice.page.get_by_text("Ready to send")).to_be_visible()
    alice.composer().press("Enter")  # no caption: the file name is the message
    bob.wait_for_bodies(["minutes.txt"])

    link = bob.page.get_by_role("link", name="Download minutes.txt")
    expect(link).to_be_visible()
    with bob.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "minutes.txt"
    with open(download.value.path(), encoding="utf-8") as fh:
        assert fh.read() == text


def test_a_file_type_outside_the_allowlist_is_refused_with_a_message(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("nope-")
    alice.create_room(room)
    attach_with_picker(alice, "setup.exe", "application/x-msdownload", b"MZ" + b"\0" * 200)
    chip = alice.page.locator(".upload-chip.failed")
    expect(chip).to_be_visible()
    expect(chip.locator(".form-error")).not_to_be_empty()
    alice.composer().fill("here it is")
    alice.composer().press("Enter")
    expect(alice.page.get_by_role("alert").filter(has_text="did not upload")).to_be_visible()
    assert alice.bodies() == []
    alice.page.get_by_role("button", name="Remove attachment setup.exe").click()
    expect(chip).to_have_count(0)
    alice.composer().press("Enter")
    alice.wait_for_bodies(["here it is"])


def test_an_svg_attachment_is_never_rendered_only_offered_for_download(cluster_factory, people):
    # SVG is not in the default allowlist; a deployment that adds it must still be safe.
    cluster = cluster_factory(unique("svg-"), UPLOAD_CONTENT_TYPES="image/svg+xml,image/png,text/plain")
    front = cluster.proxy(cluster.start_server("a"))
    alice = people(front.origin).sign_up()
    bob = people(front.origin).sign_up()
    room = unique("svg-")
    alice.create_room(room)
    bob.open_room(room)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    attach_with_picker(alice, "logo.svg", "image/svg+xml", svg)
    expect(alice.page.get_by_text("Ready to send")).to_be_visible()
    alice.composer().press("Enter")
    bob.wait_for_bodies(["logo.svg"])
    expect(bob.page.get_by_role("link", name="Download logo.svg")).to_be_visible()
    expect(bob.page.locator("ol.messages img, ol.messages svg:not(.icon)")).to_have_count(0)
    with bob.page.expect_download() as download:
        bob.page.get_by_role("link", name="Download logo.svg").click()
    with open(download.value.path(), "rb") as fh:
        assert fh.read() == svg
    assert bob.dialogs == [] and alice.dialogs == []
