"""Alembic environment: the connection comes from ``app.storage.migrate`` through config attributes."""

from alembic import context

from app.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
