"""framewriter.FrameWriter under eventlet: prints whether frames written in one turn were held
until the green thread yielded and then sent in one system call (tests/app/test_wire.py)."""

import socket

from app import green

green.patch("eventlet")

import eventlet

from app.fastpath import framewriter, wsdirect


def main() -> None:
    wsdirect.install(eventlet=True)
    # SOCK_SEQPACKET keeps every send() a record of its own: what one recv returns is one send
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # green: monkey-patched
    green_a = a
    overflowed = []
    writer = framewriter.FrameWriter(green_a, eventlet.spawn, lambda: overflowed.append(1))
    frames = [framewriter.ws_frame(f"frame {i}".encode(), 0x1) for i in range(3)]
    for f in frames:
        writer.write(f)
    b.setblocking(False)
    try:
        b.recv(4096)
        before = "sent"
    except BlockingIOError:
        before = "held"
    eventlet.sleep(0)  # the writing green thread yields: the end of its turn
    eventlet.sleep(0.05)
    first = b.recv(4096)
    writer.write(frames[0])  # a new turn starts a new write
    eventlet.sleep(0.05)
    second = b.recv(4096)
    print(before, first == b"".join(frames), second == frames[0], overflowed)


if __name__ == "__main__":
    main()
