"""The one place where bulk writes differ by database.

SQLite: DBAPI ``executemany`` in the session's own transaction, with each column's own SQLAlchemy
bind processor (JSON → text, dates → ISO) applied once per value — SQLAlchemy's per-row parameter
machinery costs several times the insert itself at a million rows. PostgreSQL (psycopg 3): ``COPY …
FROM STDIN`` on the session's own connection, so the rows share the caller's transaction (a
rollback removes them) and are several times faster to load than an INSERT per row.
"""

from __future__ import annotations

import json
from itertools import chain
from operator import itemgetter
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import JSON, Integer, Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


class JSONText(str):
    """A value for a JSON column that is already JSON text: stored as is, not encoded again.

    Lets a caller encode a million small lists in one ``json.dumps`` call instead of one per row.
    """

    __slots__ = ()


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]] | Iterable[dict[str, Any]],
                *, chunk: int = 50_000) -> int:
    """Insert plain dict rows (column name → value) inside the session's transaction.

    Every row has the keys of the first row; columns left out get their Python-side defaults.
    JSON columns take Python objects (``None`` is stored as JSON ``null``, as SQLAlchemy does) or
    :class:`JSONText`;
    types are bound the same way on both databases. Returns the number of rows written.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        session.flush()  # rows may point to objects the caller just added (e.g. the import batch)
        return _copy_rows(conn, table, rows)
    if conn.dialect.name == "sqlite":
        session.flush()  # as session.execute would autoflush
        return _sqlite_executemany(conn, table, rows, chunk)
    count = 0
    batch: list[dict[str, Any]] = []
    stmt = insert(table)
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            session.execute(stmt, batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(stmt, batch)
        count += len(batch)
    return count


def _copy_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    names = [n for n in first if n in table.c]  # extra keys are ignored, as insert().values() does
    defaults = _python_defaults(table, names)
    columns = names + list(defaults)
    converters = [_converter(table.c[name].type, conn) for name in columns]
    pick = itemgetter(*names)
    default_values = tuple(defaults.values())
    preparer = conn.dialect.identifier_preparer
    sql = (f"COPY {preparer.format_table(table)} ({', '.join(preparer.quote(c) for c in columns)}) "
           f"FROM STDIN")
    dbapi = conn.connection.driver_connection
    count = 0
    plain = all(c is None for c in converters)
    try:
        with dbapi.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for row in chain((first,), iterator):
                values = pick(row)
                if len(names) == 1:
                    values = (values,)
                if default_values:
                    values = values + default_values
                if not plain:
                    values = tuple(v if f is None else f(v) for v, f in zip(values, converters))
                write(values)
                count += 1
    except dbapi_errors(conn) as exc:
        # Callers catch SQLAlchemy's IntegrityError & co. on both databases, not psycopg's classes.
        raise DBAPIError.instance(sql, None, exc, dbapi_errors(conn), dialect=conn.dialect) from exc
    return count


def _sqlite_executemany(conn: Connection, table: Table, rows: Iterable[dict[str, Any]], chunk: int) -> int:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    names = [n for n in first if n in table.c]
    defaults = _python_defaults(table, names)
    columns = names + list(defaults)
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=columns)
    order = list(compiled.positiontup or [])  # the statement's parameter order
    processors = [(i, _keep_json_text(proc) if isinstance(table.c[name].type, JSON) else proc)
                  for i, name in enumerate(order)
                  if (proc := table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect))]
    getter = itemgetter(*order)

    def params(row: dict[str, Any]) -> list[Any]:
        full = {**defaults, **row} if defaults else row
        values = list(getter(full)) if len(order) > 1 else [getter(full)]
        for i, proc in processors:
            values[i] = proc(values[i])
        return values

    cursor = conn.connection.driver_connection.cursor()
    count = 0
    try:
        batch: list[list[Any]] = []
        for row in chain((first,), iterator):
            batch.append(params(row))
            if len(batch) >= chunk:
                cursor.executemany(compiled.string, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(compiled.string, batch)
            count += len(batch)
    except dbapi_errors(conn) as exc:
        raise DBAPIError.instance(compiled.string, None, exc, dbapi_errors(conn), dialect=conn.dialect) from exc
    finally:
        cursor.close()
    return count


def _keep_json_text(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: v if type(v) is JSONText else proc(v)


def dbapi_errors(conn: Connection) -> type[Exception]:
    return conn.dialect.loaded_dbapi.Error


def _python_defaults(table: Table, present: list[str]) -> dict[str, Any]:
    """Values for omitted columns with a Python-side default (evaluated once per call)."""
    out: dict[str, Any] = {}
    for col in table.columns:
        if col.name in present or col.default is None:
            continue
        default = col.default
        if getattr(default, "is_scalar", False):
            out[col.name] = default.arg
        elif getattr(default, "is_callable", False):
            out[col.name] = default.arg(None)
    return out


def _converter(type_, conn: Connection) -> Callable[[Any], Any] | None:
    """How a Python value becomes COPY text for a column type (None: psycopg's own dumper is right)."""
    if isinstance(type_, JSON):
        dump = getattr(conn.dialect, "_json_serializer", None) or json.dumps
        if type_.none_as_null:
            return lambda v: None if v is None else v if type(v) is JSONText else dump(v)
        return lambda v: v if type(v) is JSONText else dump(v)
    if isinstance(type_, Integer):
        return _as_int
    return None


def _as_int(value: Any) -> Any:
    """SQLite stores 4.0 in an INTEGER column as 4; COPY would refuse the text "4.0"."""
    if value is None or type(value) is int:
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"в целочисленный столбец передано дробное число {value!r}")
        return int(value)
    return int(value)
