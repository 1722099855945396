"""The booking rate limit counts in the database, atomically, across connections."""

import datetime as dt

import pytest
from django.db import connection

from bookings.models import RateLimitCounter
from bookings.pages import ratelimit


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_hits_let_exactly_the_limit_through(race):
    """Real connections released together: a read-then-write counter would let more than 10 pass."""
    threads, limit = 30, 10
    outcomes = race([lambda: ratelimit.hit("book:ip:203.0.113.7", limit=limit, window_seconds=3600)] * threads)
    allowed = [value for kind, value in outcomes if kind == "ok"]
    errors = [value for kind, value in outcomes if kind != "ok"]
    assert errors == []
    assert allowed.count(True) == limit and len(allowed) == threads
    assert RateLimitCounter.objects.get().count == threads


@pytest.mark.django_db
def test_a_new_window_starts_from_zero_and_forgets_the_old_ones(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    monkeypatch.setattr(ratelimit.timezone, "now", lambda: dt.datetime.fromtimestamp(now[0], dt.UTC))
    assert [ratelimit.hit("k", limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("other", limit=2, window_seconds=60)
    now[0] += 90
    assert ratelimit.hit("k", limit=2, window_seconds=60)  # a new window
    assert list(RateLimitCounter.objects.values_list("count", flat=True)) == [1]  # the old windows are gone


@pytest.mark.django_db
def test_a_hostile_key_of_any_length_is_counted():
    key = "book:phone:" + "٣" * 5000
    assert ratelimit.hit(key, limit=1, window_seconds=60)
    assert not ratelimit.hit(key, limit=1, window_seconds=60)


@pytest.mark.django_db
def test_an_address_and_a_number_are_counted_together_in_one_statement():
    from django.test.utils import CaptureQueriesContext

    limits = {"book:ip:203.0.113.9": 3, "book:phone:+923095885076": 2}
    with CaptureQueriesContext(connection) as queries:
        assert ratelimit.hit_all(limits, window_seconds=3600)
    assert len([q for q in queries if "bookings_ratelimitcounter" in q["sql"] and "INSERT" in q["sql"]]) == 1
    assert ratelimit.hit_all(limits, window_seconds=3600)
    assert not ratelimit.hit_all(limits, window_seconds=3600)  # the number is over its limit of 2
    assert sorted(RateLimitCounter.objects.values_list("count", flat=True)) == [3, 3]
    assert not ratelimit.hit("book:ip:203.0.113.9", limit=3, window_seconds=3600)  # and now the address too
