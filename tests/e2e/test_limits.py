"""What a person sees when a limit or a permission stops them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.client import PASSWORD
from tests.support.ports import unique

from .test_uploads import attach_with_picker


def test_too_many_sign_in_attempts_say_how_long_to_wait(cluster_factory, people):
    # A server of its own: the limit counts every attempt from 127.0.0.1.
    cluster = cluster_factory(unique("auth-"), AUTH_RATE_LIMIT="3/minute")
    server = cluster.start_server("a")
    front = cluster.proxy(server)
    owner = people(front.origin).sign_up()  # attempt 1
    guesser = people(front.origin, name=owner.name)
    for _ in range(2):  # attempts 2 and 3
        guesser.sign_in(password="wrong password")
        expect(guesser.page.get_by_role("alert")).to_have_text("Wrong username or password.")
    guesser.page.get_by_label("Password").fill(PASSWORD)
    guesser.page.get_by_role("button", name="Sign in").click()
    expect(guesser.page.get_by_role("alert")).to_have_text(
        re.compile(r"^Too many attempts\. Try again in \d+ seconds\.$")
    )


def test_refused_sends_and_oversized_files_are_explained(cluster_factory, people):
    cluster = cluster_factory(
        unique("tight-"),
        SEND_RATE_LIMIT="1/minute",
        SEND_RATE_BURST="2",
        UPLOAD_MAX_BYTES="1000",
    )
    server = cluster.start_server("a")
    front = cluster.proxy(server)
    alice = people(front.origin).sign_up()
    room = unique("limits-")
    alice.create_room(room)

    # Longer than the contract allows: stopped before it is sent.
    alice.composer().fill("x" * 4001)
    alice.composer().press("Enter")
    expect(alice.page.get_by_role("alert").filter(has_text="at most 4000 characters")).to_be_visible()
    expect(alice.page.get_by_text("4001 / 4000")).to_be_visible()
    assert alice.bodies() == []

    alice.send("one")
    alice.send("two")
    alice.send("three")
    alice.wait_for_bodies(["one", "two"])
    refused = alice.pending()
    expect(refused).to_have_count(1)
    expect(refused.locator(".send-state")).to_contain_text("Not sent:")
    expect(refused.get_by_role("button", name="Retry")).to_be_visible()
    refused.get_by_role("button", name="Discard").click()
    expect(refused).to_have_count(0)
    assert alice.bodies() == ["one", "two"]

    attach_with_picker(alice, "big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 2000)
    chip = alice.page.locator(".upload-chip.failed")
    expect(chip).to_be_visible()
    expect(chip.locator(".form-error")).not_to_be_empty()


def test_opening_a_private_room_one_is_not_in_is_refused_with_a_message(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("closed-")
    alice.create_room(room, private=True)
    bob = people(stack.front_b.origin).sign_up()
    bob.page.goto(f"{bob.origin}/#/r/{room}")
    expect(bob.page.get_by_role("alert").filter(has_text=f"Could not open #{room}")).to_be_visible()
    expect(bob.room_link(room)).to_have_count(0)
    expect(bob.page.get_by_role("heading", name=f"Welcome, {bob.name}")).to_be_visible()
