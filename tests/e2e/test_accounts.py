"""Signing up, in and out, and what a person sees when that goes wrong."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.support.ports import unique


def test_sign_up_then_sign_in_again_in_a_new_tab(stack, people):
    first = people(stack.front_a.origin).sign_up()
    # sessionStorage is per tab: a new tab asks again, and the login ignores case.
    again = people(stack.front_b.origin, name=first.name.upper())
    again.sign_in()
    expect(again.page.get_by_label(f"Signed in as {first.name}")).to_be_visible()


def test_wrong_password_and_taken_username_are_explained(stack, people):
    existing = people(stack.front_a.origin).sign_up()
    stranger = people(stack.front_b.origin, name=existing.name)
    stranger.sign_in(password="not the password")
    expect(stranger.page.get_by_role("alert")).to_have_text("Wrong username or password.")

    stranger.page.get_by_role("button", name="Create an account").click()
    stranger.page.get_by_label("Username").fill(existing.name)
    stranger.page.get_by_label("Password").fill("another long password")
    stranger.page.get_by_role("button", name="Create account").click()
    expect(stranger.page.get_by_role("alert")).to_have_text("That username is taken. Pick another one.")

    stranger.page.get_by_label("Username").fill(unique("ok"))
    stranger.page.get_by_label("Password").fill("short")
    stranger.page.get_by_role("button", name="Create account").click()
    expect(stranger.page.get_by_role("alert")).to_have_text("Passwords need at least 8 characters.")


def test_sign_out_returns_to_the_sign_in_screen_and_revokes_the_token(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    token = alice.page.evaluate("sessionStorage.getItem('chat.token')")
    alice.page.get_by_role("button", name="Sign out").click()
    expect(alice.page.get_by_role("heading", name="Sign in to Chat")).to_be_visible()
    assert alice.page.evaluate("sessionStorage.getItem('chat.token')") is None
    r = requests.get(
        stack.servers[0].url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 401


def test_a_session_revoked_elsewhere_sends_the_tab_back_to_sign_in(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("revoked-")
    alice.create_room(room)
    token = alice.page.evaluate("sessionStorage.getItem('chat.token')")
    r = requests.post(
        stack.servers[1].url + "/api/logout",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 204
    expect(alice.page.get_by_role("heading", name="Sign in to Chat")).to_be_visible()
    expect(alice.page.get_by_role("alert")).to_have_text("Your session has ended. Please sign in again.")


def test_the_whole_flow_works_from_the_keyboard(stack, people):
    person = people(stack.front_a.origin)
    page = person.page
    person.open()
    # Tab order on the sign-in card: username, password, sign in, create account.
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Create an account")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Username").focus()
    page.keyboard.type(person.name)
    page.keyboard.press("Tab")
    page.keyboard.type("a long enough password")
    page.keyboard.press("Enter")
    person.expect_signed_in()

    summary = page.get_by_text("New room")
    summary.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Room name")).to_be_focused()
    room = unique("keys-")
    page.keyboard.type(room)
    page.keyboard.press("Enter")
    person.room = room
    person.expect_in_room(room)
    expect(person.composer()).to_be_focused()
    page.keyboard.type("typed, not clicked")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    page.keyboard.press("Enter")
    person.wait_for_bodies(["typed, not clicked\nsecond line"])
    # New messages from others are announced to screen readers.
    assert page.locator("[aria-live=polite]").count() >= 2
