"""
The race harness: real concurrent connections, as pretix's concurrency tests run them. Each
job runs in its own thread (so its own database connection), all released together by a
barrier, each closing its connection when done. Used through the `race` fixture
(tests/conftest.py); a test widens the window on purpose and keeps a control that fails.
"""

import threading
from collections.abc import Callable, Sequence

from django.db import connection


def run_together(jobs: Sequence[Callable[[], object]], *, refusals: tuple[type[Exception], ...] = ()) -> list:
    """
    Run each job at once; return one outcome per job, in the jobs' order: ("ok", what it
    returned), (the refusal's class name, its message) for an exception in `refusals`, or
    ("error", repr) for any other, which is what race tests look for.
    """
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[i] = ("ok", job())
        except refusals as exc:
            outcomes[i] = (type(exc).__name__, str(exc))
        except Exception as exc:  # noqa: BLE001 - any other error is what a race test looks for
            outcomes[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    return outcomes


def kinds(outcomes: list) -> list[str]:
    """The outcomes' kinds, sorted: ["SlotUnavailable", "ok", ...]."""
    return sorted(kind for kind, _ in outcomes)
