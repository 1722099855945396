"""
Rows a booking owes besides itself, written in one round trip: its first history entry
(django-simple-history's, as simple-history makes it) and its safety screening. On
PostgreSQL they are one statement (a data-modifying WITH, each part Django's own INSERT);
elsewhere one statement each, as before. Used by the booking service only.
"""

import contextlib
import threading
from collections.abc import Iterator

from django.db import models, transaction
from django.db.models.sql import InsertQuery
from simple_history.signals import pre_create_historical_record

_held = threading.local()  # the history entries held back in this thread, while `history_held` runs


@contextlib.contextmanager
def history_held() -> Iterator[list[models.Model]]:
    """
    Hold back the history entries django-simple-history makes meanwhile (it builds each, and
    its save is kept for later): yield the list they are put in, for write() to insert.
    """
    held: list[models.Model] = []
    _held.rows = held
    try:
        yield held
    finally:
        _held.rows = None


def _hold(sender, history_instance, **kwargs) -> None:
    rows = getattr(_held, "rows", None)
    if rows is not None:
        # simple-history saves the entry right after this signal: here the save only holds it back.
        history_instance.save = lambda **kwargs: rows.append(history_instance)


pre_create_historical_record.connect(_hold, dispatch_uid="bookings.booking.together")


def write(rows: list[models.Model]) -> None:
    """
    Insert `rows` (new, of any models, none depending on another) and set their ids: on
    PostgreSQL in one statement, elsewhere one each. No model signal is sent for them (none
    is listened to for these models).
    """
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(rows) < 2:
        for row in rows:
            models.Model.save(row, force_insert=True)
        return
    parts, params = [], []
    for i, row in enumerate(rows):
        meta = row._meta
        query = InsertQuery(type(row))
        query.insert_values([f for f in meta.local_concrete_fields if f is not meta.auto_field], [row])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = [meta.pk]
        [(sql, row_params)] = compiler.as_sql()
        parts.append(f"written{i} AS ({sql})")
        params.extend(row_params)
    ids = ", ".join(f"(SELECT * FROM written{i})" for i in range(len(rows)))  # noqa: S608 - names of our own
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {ids}", params)  # noqa: S608 - Django's own INSERTs
        for row, pk in zip(rows, cursor.fetchone(), strict=True):
            row.pk = pk
            row._state.adding, row._state.db = False, connection.alias
