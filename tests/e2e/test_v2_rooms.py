"""Rooms and people in version 2 of the contract (section 4.1, 4.2, 4.5), in two browsers on two
server processes: badges that come from the server and clear on every device, direct messages,
the member list with the owner's remove and ban, leaving, rooms that appear and go live, and
axe-core's view of all that."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_accessibility import axe_violations
from tests.support.client import Api, SioClient
from tests.support.ports import unique, wait_until

# Well under the 30 s room-list poll: what must happen live cannot be the poll's doing.
LIVE_MS = 6_000


def your_rooms(person):
    return person.page.get_by_role("list", name="Your rooms")


def rooms_to_join(person):
    return person.page.get_by_role("list", name="Public rooms to join")


def members(person):
    return person.page.locator("#members-panel li.member")


def open_members(person) -> None:
    person.page.get_by_role("button", name="Members").click()
    expect(person.page.get_by_role("dialog", name=f"Members of #{person.room}")).to_be_visible()


def confirm(person, action: str, username: str) -> None:
    """Remove or Ban someone from the open member list, answering the inline question."""
    person.page.get_by_role("button", name=f"{action} {username}").click()
    person.page.get_by_role("button", name=action, exact=True).click()


def test_badges_come_from_the_server_and_clear_on_every_device(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    team, quiet = unique("team-"), unique("quiet-")
    bob.create_room(team)
    alice.open_room(team)  # joining a public room makes her a member, on the server
    alice.create_room(quiet)

    # Her second device: another browser, the other server process, nothing in its storage.
    phone = people(stack.front_b.origin, name=alice.name)
    phone.sign_in()
    phone.expect_signed_in()
    expect(your_rooms(phone).locator(f'a[data-room="{team}"]')).to_have_count(1)
    expect(rooms_to_join(phone).locator(f'a[data-room="{team}"]')).to_have_count(0)
    phone.open_room(quiet)

    bob.send("first news")
    bob.send(f"@{alice.name} please look")
    for device in (alice, phone):
        expect(device.unread_badge(team)).to_have_text("2")
        expect(device.room_link(team).locator(".mention-badge")).to_have_attribute("title", "1 mention")
        expect(device.room_link(team)).to_have_attribute("aria-label", f"room {team}, 2 unread, 1 mention")
        expect(device.page).to_have_title(f"(2) #{quiet} · Chat")

    # A fresh page load shows the same counts: they are the server's, not the browser's.
    phone.page.reload()
    phone.expect_signed_in()
    expect(phone.room_link(team)).to_have_attribute("aria-label", f"room {team}, 2 unread, 1 mention")
    phone.open_room(quiet)

    # Reading on one device moves the marker on the server; the other device clears live.
    alice.open_room(team)
    alice.wait_for_bodies(["first news", f"@{alice.name} please look"])
    expect(alice.unread_badge(team)).to_have_count(0)
    expect(phone.unread_badge(team)).to_have_count(0, timeout=LIVE_MS)
    expect(phone.room_link(team).locator(".mention-badge")).to_have_count(0)
    expect(phone.page).to_have_title(f"#{quiet} · Chat")
    phone.page.reload()
    phone.expect_signed_in()
    expect(phone.room_link(team)).to_have_attribute("aria-label", f"room {team}")


def test_a_thread_reply_from_while_away_is_read_by_opening_the_room(stack, people):
    """A reply newer than every top-level message is not in the room's history, yet it counts
    as unread; opening the room must move the server's marker past it, or the badge would come
    back on the next load."""
    alice = people(stack.front_a.origin).sign_up()
    first, room = unique("a-first-"), unique("b-thread-")
    alice.create_room(first)
    alice.create_room(room)
    alice.send("what do you think?")
    alice.wait_for_bodies(["what do you think?"])
    alice.close()

    api = stack.api()
    bob = api.register(unique("u"))
    root = api.history(bob["token"], room)[-1]
    client = SioClient(stack.servers[0].url, bob["token"])
    try:
        assert client.call("join", {"room": room})["ok"]
        ack = client.call(
            "send", {"room": room, "body": "looks good", "thread": root["id"], "client_id": unique("c")}
        )
        assert ack["ok"], ack
    finally:
        client.close()

    phone = people(stack.front_b.origin, name=alice.name)
    phone.sign_in()
    phone.expect_signed_in()
    expect(phone.unread_badge(room)).to_have_text("1")
    phone.open_room(room)
    expect(phone.unread_badge(room)).to_have_count(0)
    mine = Api(stack.servers[0].url, phone.page.evaluate("sessionStorage.getItem('chat.token')"))

    def unread() -> int:
        rooms = mine.get("/api/rooms").json()["rooms"]
        return next(r for r in rooms if r["name"] == room)["unread"]

    assert wait_until(lambda: unread() == 0, timeout=10), unread()
    phone.page.reload()
    phone.expect_signed_in()
    expect(phone.room_link(room)).to_have_attribute("aria-label", f"room {room}")


def test_direct_messages_between_two_people(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()

    alice.page.get_by_role("button", name="Message someone").click()
    field = alice.page.get_by_label("Username to message")
    field.fill("nobody-" + unique(""))
    field.press("Enter")
    expect(alice.page.get_by_role("alert").filter(has_text="There is no user named")).to_be_visible()
    field.fill(bob.name)
    field.press("Enter")
    expect(alice.page.get_by_role("heading", name=bob.name, exact=True, level=1)).to_be_visible()
    expect(alice.page.locator("main.room-view[data-state=joined]")).to_have_count(1)
    expect(alice.page.get_by_role("list", name="Direct messages").get_by_role("link")).to_have_count(1)
    box = alice.page.get_by_label(f"Message {bob.name}", exact=True)
    box.fill("hi bob")
    box.press("Enter")

    # Bob's sidebar gets the conversation at once, under direct messages, with its unread count.
    dm_link = bob.page.get_by_role("list", name="Direct messages").get_by_role(
        "link", name=f"direct message with {alice.name}, 1 unread"
    )
    expect(dm_link).to_be_visible(timeout=LIVE_MS)
    expect(your_rooms(bob).get_by_role("link")).to_have_count(0)
    dm_link.click()
    expect(bob.page.get_by_role("heading", name=alice.name, exact=True, level=1)).to_be_visible()
    bob.wait_for_bodies(["hi bob"])
    reply = bob.page.get_by_label(f"Message {alice.name}", exact=True)
    reply.fill("hello alice")
    reply.press("Enter")
    alice.wait_for_bodies(["hi bob", "hello alice"])
    # A DM has no members to manage and cannot be left.
    for name in ("Leave", "Members", "Add people"):
        expect(bob.page.get_by_role("button", name=name, exact=True)).to_be_hidden()

    # Asking from the other side opens the same conversation.
    bob.page.get_by_role("button", name="Message someone").click()
    bob.page.get_by_label("Username to message").fill(alice.name.upper())
    bob.page.get_by_role("button", name="Open conversation").click()
    expect(bob.page.get_by_role("list", name="Direct messages").get_by_role("link")).to_have_count(1)
    bob.wait_for_bodies(["hi bob", "hello alice"])


def test_member_list_remove_ban_unban_and_leave(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    carol = people(stack.front_a.origin).sign_up()
    club = unique("club-")
    alice.create_room(club)
    bob.open_room(club)
    carol.open_room(club)

    open_members(alice)
    expect(members(alice)).to_have_count(3)
    expect(alice.page.locator(f'#members-panel li[data-user="{alice.name}"]')).to_contain_text("owner")
    open_members(bob)
    expect(members(bob)).to_have_count(3)
    # Only the owner removes and bans; the owner cannot leave their own room.
    expect(bob.page.get_by_role("button", name=f"Remove {carol.name}")).to_have_count(0)
    expect(bob.page.get_by_role("button", name=f"Ban {carol.name}")).to_have_count(0)
    expect(bob.page.get_by_role("button", name="Leave", exact=True)).to_be_visible()
    expect(alice.page.get_by_role("button", name="Leave", exact=True)).to_be_hidden()

    confirm(alice, "Remove", carol.name)
    expect(alice.page.get_by_text(f"{carol.name} was removed from #{club}.")).to_be_visible()
    # Carol was looking at it: the room closes, she is told, it is back among rooms to join.
    expect(carol.page.get_by_text(f"You are no longer a member of #{club}.")).to_be_visible(timeout=LIVE_MS)
    expect(carol.page.locator("main.room-view")).to_be_hidden()
    expect(rooms_to_join(carol).locator(f'a[data-room="{club}"]')).to_have_count(1)
    # Bob's open list follows.
    expect(members(bob)).to_have_count(2, timeout=LIVE_MS)

    confirm(alice, "Ban", bob.name)
    expect(bob.page.get_by_text(f"You are no longer a member of #{club}.")).to_be_visible(timeout=LIVE_MS)
    expect(members(alice)).to_have_count(1)
    # A banned user cannot come back.
    bob.room_link(club).click()
    expect(bob.page.get_by_role("alert").filter(has_text=f"Could not open #{club}")).to_be_visible()
    expect(your_rooms(bob).locator(f'a[data-room="{club}"]')).to_have_count(0)
    # Until the owner lets him back in.
    alice.page.get_by_label("Let a banned user back in").fill(bob.name)
    alice.page.get_by_role("button", name="Unban", exact=True).click()
    expect(alice.page.get_by_text(f"{bob.name} may join #{club} again.")).to_be_visible()
    bob.open_room(club)
    expect(members(alice)).to_have_count(2, timeout=LIVE_MS)

    # Carol was only removed: she may come back, and leave by herself.
    carol.open_room(club)
    expect(members(alice)).to_have_count(3, timeout=LIVE_MS)
    carol.page.get_by_role("button", name="Leave", exact=True).click()
    expect(carol.page.get_by_text(f"You left #{club}.")).to_be_visible()
    expect(rooms_to_join(carol).locator(f'a[data-room="{club}"]')).to_have_count(1)
    expect(members(alice)).to_have_count(2, timeout=LIVE_MS)
    carol.page.reload()
    carol.expect_signed_in()
    expect(rooms_to_join(carol).locator(f'a[data-room="{club}"]')).to_have_count(1)


def test_private_room_appears_and_goes_live(stack, people):
    alice = people(stack.front_a.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("hideout-")
    alice.create_room(room, private=True)
    alice.send("for members only")

    alice.page.get_by_role("button", name="Add people").click()
    field = alice.page.get_by_label("Add someone to this private room")
    field.fill(bob.name)
    field.press("Enter")
    # No focus, no reload: member_added brings it. A new member has read up to the newest
    # message, so it has nothing unread.
    expect(bob.room_link(room)).to_have_attribute("aria-label", f"private room {room}", timeout=LIVE_MS)
    bob.open_room(room)
    bob.wait_for_bodies(["for members only"])
    expect(bob.page.get_by_role("button", name="Add people")).to_be_hidden()

    open_members(alice)
    confirm(alice, "Remove", bob.name)
    expect(bob.room_link(room)).to_have_count(0, timeout=LIVE_MS)
    expect(bob.page.locator("main.room-view")).to_be_hidden()
    expect(bob.page.get_by_text(f"You are no longer a member of #{room}.")).to_be_visible()


def test_rooms_and_people_views_have_no_serious_accessibility_violations(stack, people):
    # axe-core is injected as a script, which the page's own CSP would rightly refuse.
    alice = people(stack.front_a.origin, bypass_csp=True).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    # A device opens the first of one's rooms by name: `other`, so `room` keeps its badges.
    room, other = unique("zz-a11y-"), unique("a11y-")
    alice.create_room(room)
    bob.open_room(room)
    alice.create_room(other)
    bob.send(f"@{alice.name} hello")
    bob.page.get_by_role("button", name="Message someone").click()
    bob.page.get_by_label("Username to message").fill(alice.name)
    bob.page.get_by_role("button", name="Open conversation").click()
    box = bob.page.get_by_label(f"Message {alice.name}", exact=True)
    box.fill("psst")
    box.press("Enter")

    # Badges, mentions and a DM in the sidebar, in the dark scheme on a phone-sized screen.
    night = people(
        stack.front_b.origin,
        name=alice.name,
        bypass_csp=True,
        color_scheme="dark",
        viewport={"width": 390, "height": 780},
    )
    night.sign_in()
    night.expect_signed_in()
    dms = night.page.get_by_role("list", name="Direct messages")
    expect(dms.get_by_role("link", name=f"direct message with {bob.name}, 1 unread")).to_have_count(1)
    expect(night.room_link(room).locator(".mention-badge")).to_have_attribute("title", "1 mention")
    night.page.get_by_role("button", name="Show rooms").locator("visible=true").click()
    assert axe_violations(night) == []

    # The member list as its owner sees it, with a removal being asked about.
    expect(alice.room_link(room).locator(".mention-badge")).to_have_attribute("title", "1 mention")
    alice.open_room(room)
    open_members(alice)
    alice.page.get_by_role("button", name=f"Remove {bob.name}").click()
    expect(alice.page.get_by_role("button", name="Remove", exact=True)).to_be_focused()
    assert axe_violations(alice) == []
