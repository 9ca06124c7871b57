"""What every test suite and the benchmark run against: PostgreSQL databases and Redis key
spaces of their own, `python -m app serve` processes, proxies that play the network, and
clients of the HTTP and Socket.IO contract. Settings come from environment variables
(settings.py, described in tests/README.md).

Kept free of imports: tests/support/scripts run under `python -m`, which imports this
package before a script can patch for eventlet or gevent.
"""
