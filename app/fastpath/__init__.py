"""Every override of a library internal, and nothing else.

The service is correct on the stock libraries (``FASTPATH=0``); what is here only makes it
faster, by reaching into names a library does not promise to keep. So at start
``install()`` checks, before touching anything, that each library is the version these
overrides were written for and that every name they hook still exists; on a mismatch the
process refuses to start with one line naming the library and the way out (``FASTPATH=0``),
instead of silently running half-patched. It logs which fast paths are active.

An upgrade of one of these libraries touches this folder only: re-measure (``make bench``),
re-run the suites with and without ``FASTPATH``, then move the pin in ``WRITTEN_FOR``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

log = logging.getLogger("chat.fastpath")

# the distributions whose internals are hooked, at the versions the hooks were written for
WRITTEN_FOR = {
    "python-engineio": "4.15.1",
    "python-socketio": "5.18.1",
    "eventlet": "0.41.3",
    "redis": "8.1.0",
}


class FastpathError(Exception):
    """An installed library no longer matches what a fast path was written for."""


@dataclass(frozen=True)
class Hook:
    name: str  # what the log calls it
    library: str  # its distribution, a key of WRITTEN_FOR
    names: tuple[str, ...]  # "module:attribute.path" the override relies on
    modes: tuple[str, ...]  # async modes it applies to
    why: str


HOOKS = (
    Hook(
        "ws-direct-writer",
        "python-engineio",
        (
            "engineio.socket:Socket",
            "engineio.socket:Socket._websocket_handler",
            "engineio.socket:Socket.schedule_ping",
            "engineio.socket:Socket.check_ping_timeout",
            "engineio:Server._trigger_event",
            "engineio:Server.get_queue_empty_exception",
        ),
        ("eventlet", "gevent"),
        "WebSocket frames written directly, one ping timer per process (wsdirect.py)",
    ),
    Hook(
        "ws-unmask",
        "eventlet",
        (
            "eventlet.websocket:RFC6455WebSocket._apply_mask",
            "eventlet.websocket:RFC6455WebSocket._send",
            "eventlet.hubs:get_hub",
        ),
        ("eventlet",),
        "client frames unmasked in C; eventlet's protocol frames keep the frame order (wsdirect.py)",
    ),
    Hook(
        "ws-loop-reader",
        "eventlet",
        (
            "eventlet.hubs.hub:BaseHub.add",
            "eventlet.hubs.hub:BaseHub.remove",
            "eventlet.hubs.hub:READ",
            "eventlet.greenio:GreenSocket.fd",
            "eventlet.websocket:RFC6455WebSocket._send_closing_frame",
            "eventlet.wsgi:HttpProtocol.finish",
        ),
        ("eventlet",),
        "idle WebSocket connections read by the event loop, no green thread each (loopreader.py)",
    ),
    Hook(
        "redis-readiness",
        "redis",
        ("redis._parsers.hiredis:_socket_can_read",),
        ("eventlet",),
        "zero-timeout readiness checks of pooled connections without the hub (redis_readiness.py)",
    ),
    Hook(
        "packet-binary-scan",
        "python-socketio",
        ("socketio.packet:Packet.data_is_binary",),
        ("eventlet", "gevent"),
        "iterative scan of packet data for binary values (siopacket.py)",
    ),
    Hook(
        "room-index",
        "python-socketio",
        (
            "socketio:Manager",
            "socketio.base_manager:BaseManager.basic_enter_room",
            "socketio.base_manager:BaseManager.basic_leave_room",
            "socketio.base_manager:BaseManager.basic_disconnect",
            "socketio.base_manager:BaseManager.get_rooms",
        ),
        ("eventlet", "gevent"),
        "each client's rooms indexed: a disconnect no longer scans every room (rooms.py)",
    ),
)


def _resolve(spec: str):
    module_name, _, path = spec.partition(":")
    obj = importlib.import_module(module_name)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def check(mode: str, version_of: Callable[[str], str] = version, resolve=_resolve) -> list[Hook]:
    """The hooks that apply to ``mode``, once each library's version and hooked names are
    confirmed; FastpathError (one line) otherwise."""
    hooks = [h for h in HOOKS if mode in h.modes]
    for hook in hooks:
        want = WRITTEN_FOR[hook.library]
        try:
            have = version_of(hook.library)
        except PackageNotFoundError:
            have = "not installed"
        if have != want:
            raise FastpathError(
                f"{hook.library} is {have}, the fast path {hook.name!r} was written for {want}: "
                "run with FASTPATH=0 (stock libraries) or update app/fastpath"
            )
        for spec in hook.names:
            try:
                resolve(spec)
            except (ImportError, AttributeError):
                raise FastpathError(
                    f"{hook.library} {have} has no {spec.replace(':', '.')}, which the fast path "
                    f"{hook.name!r} hooks: run with FASTPATH=0 (stock libraries) or update app/fastpath"
                ) from None
    return hooks


@dataclass(frozen=True)
class Installed:
    """What the composition needs from the fast paths that are on."""

    active: tuple[str, ...]
    packet_class: type | None  # python-socketio's ``serializer=``; None: the stock one
    manager_class: type | None = None  # python-socketio's ``client_manager``; None: the stock one


def install(mode: str, enabled: bool, backlog_limit: int, loop_reader: bool = True) -> Installed:
    """Check, then install the fast paths of ``mode`` (none when not ``enabled``; the loop
    reader only with ``loop_reader``)."""
    if not enabled:
        log.info("fast paths off (FASTPATH=0): stock libraries")
        return Installed((), None)
    hooks = [h for h in check(mode) if loop_reader or h.name != "ws-loop-reader"]
    names = {h.name for h in hooks}
    packet_class = None
    if "ws-direct-writer" in names:
        from . import wsdirect

        wsdirect.install(backlog_limit, eventlet="ws-unmask" in names, loop_reader="ws-loop-reader" in names)
    if "redis-readiness" in names:
        from . import redis_readiness

        redis_readiness.install()
    if "packet-binary-scan" in names:
        from .siopacket import ChatPacket

        packet_class = ChatPacket
    manager_class = None
    if "room-index" in names:
        from .rooms import IndexedManager

        manager_class = IndexedManager
    active = tuple(h.name for h in hooks)
    log.info("fast paths active", extra={"fastpath": ", ".join(active)})
    return Installed(active, packet_class, manager_class)
