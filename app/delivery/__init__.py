"""Cluster delivery: how what the rules say reaches every socket of a room, on every process.

- ``envelope.py``: the one form a delivery takes between processes.
- ``bus.py``: carries envelopes to every process: Redis pub/sub (``REDIS_URL``) or in-process.
- ``publisher.py``: queued, pipelined publishing under eventlet/gevent.
- ``ordering.py``: restores each room's sequence order and gates joins.
- ``delivery.py``: ``Delivery``, the one place events leave the service.

Only public APIs of python-socketio and redis-py are used here: the stock in-process
``socketio.Manager`` writes to this process's sockets, and everything between processes goes
through this package's own Redis channel, so the ordering the contract promises holds with
the fast paths off as well as on.
"""
