"""A server process dies under a browser: the client reconnects to the other process and
shows everything that was said meanwhile, once and in order."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.support.ports import unique


def test_killed_process_client_reconnects_to_the_other_and_shows_messages_sent_meanwhile(
    cluster_factory, people
):
    cluster = cluster_factory(unique("kill-"))
    a, b = cluster.start_servers("a", "b")
    front_alice = cluster.proxy(a, b)  # alice lands on A while it lives, then on B
    front_bob = cluster.proxy(b)

    alice = people(front_alice.origin).sign_up()
    bob = people(front_bob.origin).sign_up()
    room, side = unique("failover-"), unique("side-")
    alice.create_room(side)
    alice.create_room(room)
    bob.open_room(side)
    bob.open_room(room)
    before = ["before 1", "before 2"]
    alice.send(before[0])
    bob.wait_for_bodies(before[:1])
    bob.send(before[1])
    for p in (alice, bob):
        p.wait_for_bodies(before)

    # Alice's next connection waits at the front door until we let it through, so the
    # messages below are certainly sent while she is disconnected.
    front_alice.hold()
    started = time.monotonic()
    a.kill9()
    banner = alice.page.get_by_role("status").filter(has_text="Connection lost. Reconnecting…")
    expect(banner).to_be_visible()
    expect(alice.page.locator(".shell[data-connection=disconnected]")).to_have_count(1)

    # What she types while cut off waits, visibly, and goes out once she is back.
    alice.send("typed while offline")
    expect(alice.pending().get_by_role("status")).to_have_text("Waiting for connection…")

    # An edit made meanwhile to a message she already has must reach her too.
    mine = bob.page.locator("ol.messages > li.message").nth(1)
    mine.hover()
    mine.get_by_role("button", name="Edit message").click()
    editor = mine.get_by_role("textbox", name="Edit message")
    editor.fill("before 2, corrected")
    editor.press("Enter")
    bob.wait_for_bodies([before[0], "before 2, corrected"])
    before = [before[0], "before 2, corrected"]

    meanwhile = [f"meanwhile {i}" for i in range(7)]
    for body in meanwhile:
        bob.send(body)
    bob.open_room(side)
    bob.send("in the other room")
    bob.wait_for_bodies(["in the other room"])
    bob.open_room(room)
    bob.wait_for_bodies(before + meanwhile)

    released = time.monotonic()
    front_alice.release()
    expect(alice.page.locator(".shell[data-connection=connected]")).to_have_count(1)
    expect(banner).to_be_hidden()
    caught_up = [*before, *meanwhile, "typed while offline"]
    alice.wait_for_bodies(caught_up)
    recovered = time.monotonic() - released
    expect(alice.pending()).to_have_count(0)
    shown = alice.messages()
    assert [m["body"] for m in shown] == caught_up
    ids = [m["id"] for m in shown]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The room she was not looking at was filled too, and counts as unread.
    expect(alice.unread_badge(side)).to_have_text("1")

    # She is live again, on B: what she sends now reaches bob.
    alice.send("back again")
    bob.wait_for_bodies([*caught_up, "back again"])
    assert [m["body"] for m in bob.messages()] == [*caught_up, "back again"]
    assert not a.alive() and b.alive()
    print(
        f"\nfailover: {time.monotonic() - started:.1f}s from kill to live again; "
        f"{recovered:.2f}s from the door opening to every missed message shown"
    )
