"""Programs the tests run in a process of their own (processes.run_module): green-thread
checks that must patch for eventlet or gevent before anything else is imported, and load
that must not take the test process's GIL. Nothing may be imported here."""
