"""SendBatcher under eventlet when green threads running statements are killed: prints the
outcome of each send and the size of each statement (tests/app/test_send_batch.py)."""

from app import green

green.patch("eventlet")

import eventlet
import greenlet

from app.errors import ChatError
from app.storage.sendbatch import SendBatcher


def main() -> None:
    calls = []
    kill = {2}  # the statements (by number) that die mid-way, as a killed green thread does

    def run(batch):
        calls.append(len(batch))
        eventlet.sleep(0.05)  # in flight long enough for the next sends to queue
        if len(calls) in kill:
            raise greenlet.GreenletExit()
        return [(k, k) for k in range(1, len(batch) + 1)]

    batcher = SendBatcher(run, 5.0, max_in_flight=1)
    out = []

    def send(tag):
        try:
            with green.deadline(2.0):
                out.append((tag, batcher.submit({"room_id": 7})))
        except ChatError as exc:
            out.append((tag, exc.code))
        except greenlet.GreenletExit:
            out.append((tag, "killed"))

    # 1 runs its own statement; 2 and 3 queue behind it and go together in the flusher's
    # statement, which dies: both are told `unavailable`
    first = [eventlet.spawn(send, t) for t in ("first", "second", "third")]
    for g in first:
        g.wait()
    # the room is not left queueing behind the dead flusher: the next send runs at once
    send("after")
    # a send whose own statement is killed: the send queued behind it is still stored
    kill.add(4)
    second = [eventlet.spawn(send, t) for t in ("leader", "follower")]
    for g in second:
        g.wait()
    print(sorted(out), calls)


if __name__ == "__main__":
    main()
