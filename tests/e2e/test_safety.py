"""Message bodies are text: markup in them is shown, never run."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.ports import unique

ATTACK = "<img src=x onerror=alert(1)>"


def test_markup_in_a_body_shows_as_text_and_runs_nothing(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("xss-")
    alice.create_room(room)
    bob.open_room(room)

    others = [
        '<script>alert("s")</script>',
        "<b>bold?</b> & &amp; <a href='javascript:alert(2)'>link</a>",
    ]
    for body in [ATTACK, *others]:
        alice.send(body)
    for p in (alice, bob):
        p.wait_for_bodies([ATTACK, *others])
        assert p.bodies() == [ATTACK, *others]
        bodies = p.page.locator("ol.messages .body")
        # Rendered as text: no element was created from the markup.
        expect(bodies.locator("img, script, b, a")).to_have_count(0)
        expect(bodies.first).to_have_text(ATTACK)
        p.page.wait_for_timeout(300)  # an onerror handler would have fired by now
        assert p.dialogs == [], p.dialogs
        assert p.page_errors == []

    # Edited text is text too.
    first = alice.page.locator("ol.messages > li.message").nth(0)
    first.hover()
    first.get_by_role("button", name="Edit message").click()
    editor = first.get_by_role("textbox", name="Edit message")
    editor.fill("<svg onload=alert(3)>")
    editor.press("Enter")
    bob.wait_for_bodies(["<svg onload=alert(3)>", *others])
    expect(bob.page.locator("ol.messages .body svg")).to_have_count(0)
    assert bob.dialogs == [] and alice.dialogs == []


def test_a_username_with_markup_characters_is_shown_as_text(stack, people):
    # Usernames allow only [A-Za-z0-9_.-], so the service refuses markup outright.
    person = people(stack.front_a.origin, name="<b>x</b>")
    person.open()
    person.page.get_by_role("button", name="Create an account").click()
    person.page.get_by_label("Username").fill(person.name)
    person.page.get_by_label("Password").fill("long enough password")
    person.page.get_by_role("button", name="Create account").click()
    expect(person.page.get_by_role("alert")).to_have_text(
        "Usernames are 3-32 letters, digits, dots, dashes or underscores."
    )
    expect(person.page.locator("b")).to_have_count(0)
