"""The chat service: ``python -m app serve`` / ``python -m app migrate``.

Importing the package does nothing; the server is built by ``app.server.create_service``.
"""
