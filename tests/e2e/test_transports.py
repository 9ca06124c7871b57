"""Where WebSockets are blocked (some proxies and networks refuse the upgrade), the client
falls back to HTTP long-polling and the chat works the same."""

from __future__ import annotations

from tests.support.ports import unique


def test_chat_works_over_long_polling_when_websockets_are_blocked(stack, people):
    a = stack.servers[0]
    strict = stack.proxy(a, block_websockets=True)
    alice = people(strict.origin).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("polling-")
    alice.create_room(room)
    bob.open_room(room)
    alice.send("over polling")
    bob.wait_for_bodies(["over polling"])
    bob.send("over a websocket")
    alice.wait_for_bodies(["over polling", "over a websocket"])

    assert strict.refused_upgrades >= 1, "the client never tried a WebSocket first"
    assert alice.page.locator(".shell").get_attribute("data-transport") == "polling"
    assert bob.page.locator(".shell").get_attribute("data-transport") == "websocket"
