"""Token-less and forged-token Socket.IO connects, four threads at a time; prints as JSON
what each connect was answered (tests/faults/test_faults_abusive_clients.py). It runs in a
process of its own so that its work does not take the GIL from the members whose latency
the test measures. argv: WebSocket URL, number of connects."""

import json
import sys
import threading

import websocket


def main() -> None:
    url, n, workers = sys.argv[1], int(sys.argv[2]), 4
    out, lock = [], threading.Lock()

    def work(w):
        for k in range(w, n, workers):
            try:
                ws = websocket.create_connection(url, timeout=10)
            except Exception as exc:
                with lock:
                    out.append("handshake failed: " + repr(exc))
                continue
            try:
                ws.recv()
                ws.send("40" + (json.dumps({"token": f"forged-{k}"}) if k % 2 else ""))
                pkt = ws.recv()
                while pkt == "2" or not pkt.startswith(("40", "44")):
                    pkt = ws.recv()
                with lock:
                    out.append(pkt)
            except Exception:
                with lock:
                    out.append("closed")
            finally:
                ws.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
