"""Threads, reactions, mentions and search in the browser: two people, each on their own server
process, doing it through labels, roles and the keyboard."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.client import SioClient
from tests.support.ports import unique

from .test_accessibility import axe_violations


def message_item(person, body: str):
    """The room's message with this text (not a reply: those are in the thread panel)."""
    return person.page.locator("ol.messages > li.message", has_text=body)


def thread_panel(person):
    return person.page.get_by_role("complementary", name="Thread")


def replies_of(panel):
    return panel.get_by_role("list", name="Replies", exact=True).locator("li.message .body")


def test_a_thread_opens_beside_the_room_and_its_replies_reach_the_other_user(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("thread-")
    alice.create_room(room)
    bob.open_room(room)
    alice.send("Release on Friday?")
    bob.wait_for_bodies(["Release on Friday?"])

    root = message_item(bob, "Release on Friday?")
    root.hover()
    root.get_by_role("button", name="Reply in thread").click()
    panel = thread_panel(bob)
    expect(panel.get_by_role("heading", name="Thread")).to_be_visible()
    expect(panel.get_by_text(f"#{room}")).to_be_visible()
    expect(panel.get_by_role("list", name="Thread start").locator(".body")).to_have_text("Release on Friday?")
    box = panel.get_by_label("Reply to the thread", exact=True)
    expect(box).to_be_focused()
    box.fill("Friday works for me")
    box.press("Enter")
    expect(replies_of(panel)).to_have_text(["Friday works for me"])
    expect(root.get_by_role("button", name="1 reply")).to_be_visible()

    # Alice sees the count under her message and opens the thread from it.
    a_root = message_item(alice, "Release on Friday?")
    a_root.get_by_role("button", name="1 reply").click()
    a_panel = thread_panel(alice)
    expect(replies_of(a_panel)).to_have_text(["Friday works for me"])
    a_box = a_panel.get_by_label("Reply to the thread", exact=True)
    a_box.fill("Great, Friday it is")
    a_box.press("Enter")
    # Bob's open thread takes the reply live; both roots count two.
    expect(replies_of(panel)).to_have_text(["Friday works for me", "Great, Friday it is"])
    for item in (root, a_root):
        expect(item.get_by_role("button", name="2 replies")).to_be_visible()
    expect(panel.locator(".thread-count")).to_have_text("2 replies")

    # The room itself still holds only the root, and a room message still goes to the room.
    bob.send("Meanwhile in the room")
    for person in (alice, bob):
        person.wait_for_bodies(["Release on Friday?", "Meanwhile in the room"])
        assert person.bodies() == ["Release on Friday?", "Meanwhile in the room"]

    # Esc closes the thread and focus goes back to where it was opened from.
    a_box.press("Escape")
    expect(a_panel).to_be_hidden()
    expect(a_root.get_by_role("button", name="2 replies")).to_be_focused()

    # Bob edits his reply in the thread; the edit reaches Alice when she opens it again.
    reply = panel.get_by_role("list", name="Replies", exact=True).locator("li.message").first
    reply.hover()
    reply.get_by_role("button", name="Edit message").click()
    editor = reply.get_by_role("textbox", name="Edit message")
    editor.fill("Friday works for me too")
    editor.press("Enter")
    expect(replies_of(panel)).to_have_text(["Friday works for me too", "Great, Friday it is"])
    a_root.get_by_role("button", name="2 replies").click()
    expect(replies_of(a_panel)).to_have_text(["Friday works for me too", "Great, Friday it is"])

    # Alice deletes her reply: it leaves both panels and both counts go down.
    mine = a_panel.get_by_role("list", name="Replies", exact=True).locator("li.message", has_text="Great")
    mine.hover()
    mine.get_by_role("button", name="Delete message").click()
    mine.get_by_role("button", name="Delete", exact=True).click()
    for p in (panel, a_panel):
        expect(replies_of(p)).to_have_text(["Friday works for me too"])
    for item in (root, a_root):
        expect(item.get_by_role("button", name="1 reply")).to_be_visible()

    # After a reload the count comes from history.
    bob.page.reload()
    bob.expect_signed_in()
    bob.expect_in_room(room)
    expect(message_item(bob, "Release on Friday?").get_by_role("button", name="1 reply")).to_be_visible()
    assert not alice.page_errors and not bob.page_errors


def test_reactions_from_the_picker_by_keyboard_and_who_reacted_on_hover(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("react-")
    alice.create_room(room)
    bob.open_room(room)
    alice.send("Shipped the new build")
    bob.wait_for_bodies(["Shipped the new build"])

    item = message_item(bob, "Shipped the new build")
    add = item.get_by_role("button", name="Add reaction")
    add.focus()
    add.press("Enter")
    picker = bob.page.get_by_role("dialog", name="Add a reaction")
    expect(picker.get_by_role("button", name="thumbs up")).to_be_focused()
    bob.page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="heart")).to_be_focused()
    bob.page.keyboard.press("Enter")
    expect(picker).to_have_count(0)
    expect(add).to_be_focused()
    chip = item.get_by_role("button", name="❤️ 1 reaction")
    expect(chip).to_have_attribute("aria-pressed", "true")

    # Alice sees it live and, hovering, who gave it; then she adds hers by clicking the chip.
    a_item = message_item(alice, "Shipped the new build")
    a_chip = a_item.locator("button.reaction")
    expect(a_chip).to_have_accessible_name("❤️ 1 reaction")
    expect(a_chip).to_have_attribute("aria-pressed", "false")
    a_chip.hover()
    expect(a_item.get_by_role("tooltip")).to_have_text(f"{bob.name} reacted with ❤️")
    a_chip.click()
    expect(a_chip).to_have_accessible_name("❤️ 2 reactions")
    expect(a_chip).to_have_attribute("aria-pressed", "true")
    a_chip.hover()
    expect(a_item.get_by_role("tooltip")).to_have_text(f"You and {bob.name} reacted with ❤️")

    # Bob takes his back from the keyboard (Space on the chip); Esc closes a picker unused.
    b_chip = item.locator("button.reaction")
    expect(b_chip).to_have_accessible_name("❤️ 2 reactions")
    b_chip.focus()
    expect(item.get_by_role("tooltip")).to_have_text(f"You and {alice.name} reacted with ❤️")
    bob.page.keyboard.press(" ")
    expect(b_chip).to_have_attribute("aria-pressed", "false")
    expect(a_chip).to_have_accessible_name("❤️ 1 reaction")
    add.press("Enter")
    expect(picker).to_be_visible()
    bob.page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(add).to_be_focused()

    # A second emoji goes after the first, for both.
    a_item.hover()
    a_item.get_by_role("button", name="Add reaction").click()
    alice.page.get_by_role("dialog", name="Add a reaction").get_by_role("button", name="rocket").click()
    for one in (item, a_item):
        expect(one.locator("button.reaction .reaction-emoji")).to_have_text(["❤️", "🚀"])
    assert not alice.page_errors and not bob.page_errors


def test_mention_autocomplete_by_keyboard_and_mentions_of_oneself_stand_out(stack, people):
    alice = people(stack.front_a.origin, name=unique("ma"))
    bob = people(stack.front_b.origin, name=unique("mbob"))
    alice.sign_up()
    bob.sign_up()
    carol = unique("mbcarol")
    api = stack.api()
    carol_token = api.register(carol)["token"]
    room = unique("mention-")
    alice.create_room(room)
    bob.open_room(room)
    api.send_many(carol_token, room, [])  # her join makes her a member

    box = alice.composer()
    box.press_sequentially("thanks @mb", delay=20)
    listbox = alice.page.get_by_role("listbox", name="People to mention")
    options = listbox.get_by_role("option")
    expect(options).to_have_text([f"@{carol}", f"@{bob.name}"])
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", re.compile(".+"))
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    box.press("Enter")  # picks; does not send
    expect(listbox).to_be_hidden()
    expect(box).to_have_value(f"thanks @{bob.name} ")
    box.press_sequentially("for the review, and @nobody-here", delay=5)
    box.press("Escape")
    box.press("Enter")
    body = f"thanks @{bob.name} for the review, and @nobody-here"
    for person in (alice, bob):
        person.wait_for_bodies([body])

    mine = message_item(bob, "for the review")
    expect(mine).to_have_class(re.compile(r"\bmentions-me\b"))
    expect(mine.locator(".mention-me")).to_have_text(f"@{bob.name}")
    expect(mine.locator(".mention")).to_have_count(1)  # @nobody-here is nobody's
    theirs = message_item(alice, "for the review")
    expect(theirs.locator(".mention")).to_have_text(f"@{bob.name}")
    expect(theirs.locator(".mention-me")).to_have_count(0)
    expect(theirs).not_to_have_class(re.compile(r"\bmentions-me\b"))

    # In a thread too.
    mine.hover()
    mine.get_by_role("button", name="Reply in thread").click()
    reply = thread_panel(bob).get_by_label("Reply to the thread", exact=True)
    reply.press_sequentially("@ma", delay=20)
    expect(bob.page.get_by_role("listbox", name="People to mention").get_by_role("option")).to_have_text(
        [f"@{alice.name}"]
    )
    reply.press("Tab")
    reply.press_sequentially("you're welcome")
    reply.press("Enter")
    expect(replies_of(thread_panel(bob))).to_have_text([f"@{alice.name} you're welcome"])
    message_item(alice, "for the review").get_by_role("button", name="1 reply").click()
    expect(thread_panel(alice).locator("li.message.mentions-me .mention-me")).to_have_text(f"@{alice.name}")
    assert not alice.page_errors and not bob.page_errors


def test_search_finds_messages_and_replies_and_jumps_to_them(stack, people):
    api = stack.api()
    sam = unique("sam")
    token = api.register(sam)["token"]
    room = unique("search-")
    api.create_room(token, room)
    bodies = [f"filler message {i:03d}" for i in range(90)]
    bodies[4] = "The quarterly numbers are in the shared folder"
    sent = api.send_many(token, room, bodies)
    later = SioClient(stack.servers[1].url, token)
    try:
        assert later.call("join", {"room": room})["ok"]
        reply = {"room": room, "body": "Quarterly numbers look good", "thread": sent[80]["id"]}
        ack = later.call("send", reply)
        assert ack["ok"], ack
        reply_id = ack["message"]["id"]
    finally:
        later.close()

    reader = people(stack.front_b.origin).sign_up()
    reader.open_room(room)
    reader.wait_for_bodies(bodies[-50:])
    search = reader.page.get_by_role("searchbox", name="Search messages")
    search.fill("quarter numb")
    search.press("Enter")
    panel = reader.page.get_by_role("complementary", name="Search")
    results = panel.get_by_role("list", name="Search results").get_by_role("button")
    expect(results).to_have_count(2)
    expect(panel.get_by_role("status")).to_have_text("2 messages found")
    # Newest first: the reply, then the old message; the words found are marked.
    expect(results.nth(0)).to_contain_text("in a thread")
    expect(results.nth(1).locator("mark")).to_have_text(["quarterly", "numbers"])

    # The old message is not loaded yet: the room pages back to it and gives it focus.
    results.nth(1).click()
    target = reader.page.locator(f'ol.messages > li.message[data-id="{sent[4]["id"]}"]')
    expect(target).to_be_focused()
    expect(target).to_be_in_viewport()
    assert reader.bodies()[:5] == bodies[:5]

    # The reply opens its thread at that reply, with a way back to the results.
    results.nth(0).click()
    thread = thread_panel(reader)
    expect(thread.get_by_role("list", name="Thread start").locator(".body")).to_have_text(bodies[80])
    expect(thread.locator(f'li.message[data-id="{reply_id}"]')).to_be_focused()
    thread.get_by_role("button", name="← Results").click()
    expect(panel.get_by_role("list", name="Search results").get_by_role("button")).to_have_count(2)

    # Nothing found says so; Esc closes and returns to the search box.
    search.fill("zebra crossing")
    search.press("Enter")
    expect(panel.get_by_text("No messages match.")).to_be_visible()
    panel.get_by_role("button", name="Close search").focus()
    reader.page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(search).to_be_focused()
    assert not reader.page_errors


def test_on_a_phone_the_thread_and_search_cover_the_screen_and_close(stack, people, tmp_path):
    api = stack.api()
    owner = unique("own")
    token = api.register(owner)["token"]
    room = unique("phone-")
    api.create_room(token, room)
    api.send_many(token, room, ["Who takes the phone review?"])
    phone = people(
        stack.front_b.origin,
        viewport={"width": 390, "height": 780},
        is_mobile=True,
        has_touch=True,
    ).sign_up()
    phone.page.goto(f"{phone.origin}/#/r/{room}")
    phone.room = room
    phone.expect_in_room(room)
    item = message_item(phone, "Who takes the phone review?")
    # On a phone a tap on the message shows its actions; before it they take no taps.
    actions = item.locator(".actions")
    expect(actions).to_have_css("opacity", "0")
    item.locator(".body").tap()
    expect(actions).to_have_css("opacity", "1")
    actions.get_by_role("button", name="Reply in thread").tap()
    panel = thread_panel(phone)
    expect(panel).to_be_in_viewport()
    box = panel.bounding_box()
    assert box and box["x"] == 0 and box["width"] == 390, box
    panel.get_by_label("Reply to the thread", exact=True).fill("I will")
    panel.get_by_role("button", name="Send reply").tap()
    expect(replies_of(panel)).to_have_text(["I will"])
    phone.page.screenshot(path=str(tmp_path / "phone-thread.png"))
    panel.get_by_role("button", name="Close thread").tap()
    expect(panel).to_be_hidden()
    expect(item.get_by_role("button", name="1 reply")).to_be_visible()

    phone.page.get_by_role("button", name="Show rooms").locator("visible=true").tap()
    search = phone.page.get_by_role("searchbox", name="Search messages")
    search.fill("phone review")
    search.press("Enter")
    results = phone.page.get_by_role("list", name="Search results").get_by_role("button")
    expect(results).to_have_count(1)
    results.first.tap()
    # The results give way to the room, at the message.
    expect(phone.page.get_by_role("complementary", name="Search")).to_be_hidden()
    expect(item).to_be_focused()
    assert not phone.page_errors


def test_v2_views_have_no_serious_accessibility_violations(stack, people):
    """axe-core on the thread panel with reactions and a mention, the open picker, the open
    autocomplete and search results, in the light and the dark scheme."""
    for scheme in ("light", "dark"):
        alice = people(stack.front_a.origin, name=unique("ax"), bypass_csp=True, color_scheme=scheme)
        bob = people(stack.front_b.origin, name=unique("bx")).sign_up()
        alice.sign_up()
        room = unique("a11y-v2-")
        alice.create_room(room)
        bob.open_room(room)
        bob.send(f"@{alice.name} the draft is ready")
        alice.wait_for_bodies([f"@{alice.name} the draft is ready"])
        item = message_item(alice, "the draft is ready")
        item.hover()
        item.get_by_role("button", name="Add reaction").click()
        picker = alice.page.get_by_role("dialog", name="Add a reaction")
        expect(picker).to_be_visible()
        assert axe_violations(alice) == [], scheme
        picker.get_by_role("button", name="party").click()
        item.get_by_role("button", name="Reply in thread").click()
        box = thread_panel(alice).get_by_label("Reply to the thread", exact=True)
        box.fill("Reading it now")
        box.press("Enter")
        expect(replies_of(thread_panel(alice))).to_have_text(["Reading it now"])
        box.press_sequentially("@b", delay=20)
        expect(alice.page.get_by_role("listbox", name="People to mention")).to_be_visible()
        assert axe_violations(alice) == [], scheme
        box.press("Escape")
        search = alice.page.get_by_role("searchbox", name="Search messages")
        search.fill("draft")
        search.press("Enter")
        expect(alice.page.get_by_role("list", name="Search results").get_by_role("button")).to_have_count(1)
        assert axe_violations(alice) == [], scheme
