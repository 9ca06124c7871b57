"""The service's two faces, both thin: the HTTP API (``http_api``) and the Socket.IO events
(``sockets``), on the WSGI server of ``wsgi``. Each turns ``ChatError`` into its envelope in
one place and calls the rules in ``app/chat``."""
