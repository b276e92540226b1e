"""Alembic environment: migrates the connection the store hands over in ``config.attributes``.

At run time no ``alembic.ini`` is needed: :func:`mit_trainer.storage.engine.migrate` builds the
configuration in code. For development (``alembic revision --autogenerate``) a URL may be given
with ``-x url=...`` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from mit_trainer.storage.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///path ...")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


main()
