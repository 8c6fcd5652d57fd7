"""Alembic environment: runs against the engine reqtrace hands over."""

from alembic import context
from sqlalchemy import create_engine

import reqtrace.model  # noqa: F401  (registers every table on the metadata)
from sqlmodel import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # `alembic` run by hand: take the URL from the ini option or the environment.
        from reqtrace.config import resolve_database_url
        from reqtrace.db import make_engine

        url = config.get_main_option("sqlalchemy.url") or resolve_database_url()
        engine = make_engine(url) if url else create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=False,  # models use AutoString; migrations spell plain types
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("reqtrace migrations run online only: use `reqtrace init`.")
run_migrations_online()
