"""TCP forwarders on 127.0.0.1 that stand in for the network between a client and a server:
the load balancer in front of the chat servers, a database that stops or goes silent."""

from __future__ import annotations

import asyncio
import contextlib
import threading

from .ports import free_port


class _Forwarder:
    """An asyncio loop in a thread of its own that pipes bytes between connection pairs;
    `freeze()` stops bytes flowing on open connections until `thaw()`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thawed = asyncio.Event()
        self.thawed.set()

    def _run(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.thawed.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _splice(self, reader, writer, up_reader, up_writer) -> None:
        self.writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self.writers.discard(writer)
            self.writers.discard(up_writer)

    async def _set_frozen(self, frozen: bool) -> None:
        if frozen:
            self.thawed.clear()
        else:
            self.thawed.set()

    def freeze(self) -> None:
        self._run(self._set_frozen(True))

    def thaw(self) -> None:
        self._run(self._set_frozen(False))

    async def _close(self) -> None:
        self.thawed.set()
        if self.server is not None:
            self.server.close()
            self.server = None
        for w in list(self.writers):
            # abort, not close: the peer sees the connection reset, as when a host dies
            w.transport.abort()
        self.writers.clear()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class TcpProxy(_Forwarder):
    """A forwarder the test can cut, standing in for a database that stops.

    `cut()` closes every open connection and the listening socket, so new connects are refused
    exactly as when PostgreSQL is down; `restore()` listens again on the same port.
    `freeze()` is a network partition instead: connections stay open and nothing passes in
    either direction (new ones are accepted and get no answer) until `thaw()`.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.accepted = 0

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        await self.thawed.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        await self._splice(reader, writer, up_reader, up_writer)

    def cut(self) -> None:
        self._run(self._close())

    def restore(self) -> None:
        self._run(self._listen())


class FailoverProxy(_Forwarder):
    """A TCP proxy that stands in for the load balancer in front of the servers.

    Each new connection goes to the first backend that accepts it, so a browser keeps one
    origin while the process behind it changes. `hold()` makes new connections wait (as when
    no healthy target is left) and `freeze()` stops bytes flowing on open ones; both let a
    test create the "meanwhile" it needs without racing the client's reconnect.
    """

    def __init__(self, backends: list[int], block_websockets: bool = False) -> None:
        super().__init__()
        self.backends = list(backends)
        # Like some corporate proxies: WebSocket upgrades are refused, plain HTTP goes through.
        self.block_websockets = block_websockets
        self.refused_upgrades = 0
        self.port = 0
        self.connections = 0
        self._open: asyncio.Event | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())

    async def _listen(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._open.wait()
        first = b""
        if self.block_websockets:
            first = await reader.read(65536)
            if b"upgrade: websocket" in first.lower():
                self.refused_upgrades += 1
                writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.drain()
                writer.close()
                return
        upstream = None
        for port in list(self.backends):
            try:
                upstream = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout=2)
                break
            except (OSError, TimeoutError):
                continue
        if upstream is None:
            writer.close()
            return
        self.connections += 1
        up_reader, up_writer = upstream
        if first:
            up_writer.write(first)
        await self._splice(reader, writer, up_reader, up_writer)

    def hold(self) -> None:
        self.loop.call_soon_threadsafe(self._open.clear)

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self._open.set)

    async def _close(self) -> None:
        if self._open is not None:
            self._open.set()
        await super()._close()
