"""Two people in two browsers, each on a different server process, chatting."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.support.ports import unique, wait_until


def test_two_users_on_two_processes_see_every_message_once_in_order(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("talk-")
    alice.create_room(room)
    bob.open_room(room)

    from_alice, from_bob = [], []
    # Both type at once, on two processes, with bursts: the room's order is then decided by
    # the server (ids in commit order) and crosses the Redis queue, not one process alone.
    for round_no in range(4):
        for i in range(3):
            from_alice.append(f"alice {round_no}.{i}")
            alice.send(from_alice[-1])
        from_bob.append(f"bob {round_no}")
        bob.send(from_bob[-1])

    server_side = []

    def settled() -> bool:
        server_side[:] = stack.api().history(token_of(alice), room)
        return len(server_side) == len(from_alice) + len(from_bob)

    assert wait_until(settled, 20), server_side
    in_id_order = [m["body"] for m in server_side]
    for person in (alice, bob):
        person.wait_for_bodies(in_id_order)
        shown = person.messages()
        # Every message once, in the server's id order, the same on both screens.
        assert [m["body"] for m in shown] == in_id_order, person.name
        assert [m["id"] for m in shown] == [m["id"] for m in server_side]
        expect(person.pending()).to_have_count(0)
        expect(person.page.get_by_text("2 online")).to_be_visible()
    # Each person's own messages kept the order they were typed in.
    assert [b for b in in_id_order if b.startswith("alice")] == from_alice
    assert [b for b in in_id_order if b.startswith("bob")] == from_bob
    assert not alice.page_errors and not bob.page_errors


def token_of(person) -> str:
    return person.page.evaluate("sessionStorage.getItem('chat.token')")


def test_own_message_shows_at_once_as_pending_then_confirmed_by_the_ack(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("ack-")
    alice.create_room(room)
    alice.send("first")
    alice.wait_for_bodies(["first"])

    # Nothing reaches the server while the front door is frozen, so no ack can come back.
    stack.front_a.freeze()
    try:
        alice.send("held back")
        pending = alice.pending()
        expect(pending).to_have_count(1)
        expect(pending.locator(".body")).to_have_text("held back")
        expect(pending.get_by_role("status")).to_have_text("Sending…")
        time.sleep(0.5)
        assert alice.bodies() == ["first"], "confirmed before any ack could arrive"
    finally:
        stack.front_a.thaw()
    alice.wait_for_bodies(["first", "held back"])
    expect(alice.pending()).to_have_count(0)
    assert len(stack.api().history(token_of(alice), room)) == 2


def test_typing_and_presence_appear_for_the_other_user(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("presence-")
    alice.create_room(room)
    online = alice.page.get_by_role("complementary", name="Online").get_by_role("listitem")
    expect(online).to_have_count(1)

    bob = people(stack.front_b.origin).sign_up()
    bob.open_room(room)
    expect(online).to_have_count(2)
    expect(online.filter(has_text=bob.name)).to_have_count(1)
    expect(alice.page.get_by_text("2 online")).to_be_visible()
    # ...and bob, on the other process, sees alice online from the moment he joins.
    bobs_online = bob.page.get_by_role("complementary", name="Online").get_by_role("listitem")
    expect(bobs_online.filter(has_text=alice.name)).to_have_count(1)

    bob.composer().press_sequentially("let me think", delay=30)
    expect(alice.page.locator(".typing")).to_have_text(f"{bob.name} is typing…")
    bob.composer().press("Enter")
    alice.wait_for_bodies(["let me think"])
    expect(alice.page.locator(".typing")).to_have_text("")

    bob.close()
    expect(online).to_have_count(1)
    expect(online.filter(has_text=bob.name)).to_have_count(0)


def test_edit_and_delete_own_messages_reach_the_other_user(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("edit-")
    alice.create_room(room)
    bob.open_room(room)
    alice.send("teh first draft")
    alice.send("to be removed")
    bob.wait_for_bodies(["teh first draft", "to be removed"])
    bob.send("bob's own")
    for p in (alice, bob):
        p.wait_for_bodies(["teh first draft", "to be removed", "bob's own"])

    # Only one's own messages offer editing.
    bobs_view = bob.page.locator("ol.messages > li.message")
    expect(bobs_view.nth(0).get_by_role("button", name="Edit message")).to_have_count(0)
    expect(bobs_view.nth(2).get_by_role("button", name="Edit message")).to_have_count(1)

    first = alice.page.locator("ol.messages > li.message").nth(0)
    first.hover()
    first.get_by_role("button", name="Edit message").click()
    editor = first.get_by_role("textbox", name="Edit message")
    editor.fill("the first draft")
    editor.press("Enter")
    for p in (alice, bob):
        p.wait_for_bodies(["the first draft", "to be removed", "bob's own"])
        expect(p.page.locator("ol.messages > li.message").nth(0).locator(".edited")).to_be_visible()

    second = alice.page.locator("ol.messages > li.message").nth(1)
    second.hover()
    second.get_by_role("button", name="Delete message").click()
    second.get_by_role("button", name="Delete", exact=True).click()
    for p in (alice, bob):
        p.wait_for_bodies(["the first draft", "bob's own"])
        assert p.bodies() == ["the first draft", "bob's own"]

    # Up in the empty composer edits one's last message, as in the apps people know.
    bob.composer().press("ArrowUp")
    editor = bob.page.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.press("Escape")
    expect(bob.page.locator("textarea.edit-input")).to_have_count(0)


def test_history_loads_older_pages_when_scrolling_up(stack, people):
    api = stack.api()
    owner = unique("hist")
    token = api.register(owner)["token"]
    room = unique("history-")
    api.create_room(token, room)
    bodies = [f"old message {i:03d}" for i in range(105)]
    sent = api.send_many(token, room, bodies)

    reader = people(stack.front_b.origin).sign_up()
    reader.open_room(room)
    reader.wait_for_bodies(bodies[-50:])
    assert len(reader.messages()) == 50
    timeline = reader.page.get_by_role("region", name=f"Messages in #{room}")

    for _ in range(10):
        if len(reader.messages()) == len(bodies):
            break
        timeline.evaluate("el => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); }")
        reader.page.wait_for_timeout(300)
    shown = reader.messages()
    assert [m["body"] for m in shown] == bodies
    assert [m["id"] for m in shown] == [m["id"] for m in sent]
    expect(reader.page.get_by_text(f"This is the start of #{room}.")).to_be_visible()


def test_unread_counts_per_room(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    quiet, busy = unique("quiet-"), unique("busy-")
    alice.create_room(quiet)
    alice.create_room(busy)
    bob.open_room(busy)
    bob.open_room(quiet)  # bob is in both and looking at `quiet`

    alice.open_room(busy)
    for i in range(3):
        alice.send(f"news {i}")
    badge = bob.unread_badge(busy)
    expect(badge).to_have_text("3")
    expect(bob.room_link(busy)).to_have_attribute("aria-label", f"room {busy}, 3 unread")
    expect(bob.unread_badge(quiet)).to_have_count(0)
    expect(bob.page).to_have_title(f"(3) #{quiet} · Chat")

    bob.open_room(busy)
    bob.wait_for_bodies(["news 0", "news 1", "news 2"])
    expect(badge).to_have_count(0)
    # Read state survives a reload.
    bob.page.reload()
    bob.expect_signed_in()
    expect(bob.unread_badge(busy)).to_have_count(0)


def test_private_room_is_hidden_until_the_owner_adds_a_member(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("secret-")
    alice.create_room(room, private=True)
    alice.send("for members only")

    bob.page.evaluate("window.dispatchEvent(new Event('focus'))")
    bob.page.wait_for_timeout(500)
    expect(bob.room_link(room)).to_have_count(0)

    alice.page.get_by_role("button", name="Add people").click()
    field = alice.page.get_by_label("Add someone to this private room")
    field.fill("nobody-" + unique(""))
    field.press("Enter")
    expect(alice.page.get_by_role("alert").filter(has_text="There is no user named")).to_be_visible()
    field.fill(bob.name)
    field.press("Enter")
    expect(alice.page.get_by_text(f"{bob.name} can now see #{room}.")).to_be_visible()

    bob.page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(bob.room_link(room)).to_have_count(1)
    # A new member has read up to the room's newest message (contract 4.5): nothing unread.
    expect(bob.room_link(room)).to_have_attribute("aria-label", f"private room {room}")
    bob.open_room(room)
    bob.wait_for_bodies(["for members only"])
    # Only the owner manages members.
    expect(bob.page.get_by_role("button", name="Add people")).to_be_hidden()


def test_creating_a_room_that_exists_says_so(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    room = unique("dup-")
    alice.create_room(room)
    alice.page.get_by_text("New room").click()
    alice.page.get_by_label("Room name").fill(room)
    alice.page.get_by_role("button", name="Create room").click()
    expect(alice.page.get_by_role("alert").filter(has_text="already exists")).to_be_visible()
    alice.page.get_by_label("Room name").fill("Bad Name!")
    alice.page.get_by_role("button", name="Create room").click()
    expect(
        alice.page.get_by_role("alert").filter(has_text="lowercase letters, digits or dashes")
    ).to_be_visible()
