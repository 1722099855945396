"""
`manage.py run_worker`: the tasks' worker (what `make worker` and `make run` start), one
thread for each queue of settings.TASK_QUEUES, so that a mail server that never answers
holds back the emails only (each message channel has its queue: bookings/messaging/outbox.py).

A message channel's thread is the outbox's own worker (outbox.poll): it looks for the
channel's due messages in the outbox every --interval, so a message needs no task row to
wake it. The other queues' threads (the default one: the waitlist, refunds) are
django-tasks-db's own worker (the loop of `manage.py db_worker`), which ends the process
when the database can't be reached (only "database is locked" is waited out); here a lost
database is waited for (1 s, doubling to 10 s, for as long as it takes) and the loop
carries on. A task or message in hand when the database went away waits for it itself (the
outbox's outcomes do), so nothing is lost or sent twice.
"""

import logging
import os
import random
import signal
import socket
import sys
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

from bookings.messaging import outbox
from bookings.models import MessageChannel

logger = logging.getLogger("django_tasks_db")


class SteadyWorker(db_worker.Worker):
    """django-tasks-db's worker, which waits for a database that went away instead of exiting."""

    def run(self) -> None:
        pause = 1.0
        while self.running:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                logger.warning(
                    "Worker %s: the database can't be reached (%s); trying again in %.0f s",
                    self.worker_id, type(exc).__name__, pause,
                )  # fmt: skip
                connections.close_all()  # this thread's: the next try connects afresh
                self.startup_delay = False
                time.sleep(pause)
                pause = min(pause * 2, 10.0)


class OutboxWorker:
    """A message channel's worker: the outbox's loop (outbox.poll) in a thread, stopped as the others are."""

    def __init__(self, *, channel: str, interval: float, startup_delay: bool, worker_id: str) -> None:
        self.queue_names = [channel]
        self.interval = interval
        self.startup_delay = startup_delay
        self.worker_id = worker_id
        self.running = True
        self._stopped = threading.Event()

    def run(self) -> None:
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - as db_worker: several workers started at once spread out
        logger.info("Worker %s sends the %s messages of the outbox", self.worker_id, self.queue_names[0])
        outbox.poll(
            channel=self.queue_names[0], interval=self.interval, running=lambda: self.running, pause=self._pause
        )

    def _pause(self, seconds: float) -> None:
        # Woken at once by a stop (run_workers sets `running`), not at the end of the interval.
        deadline = time.monotonic() + seconds
        while self.running and time.monotonic() < deadline:
            self._stopped.wait(min(0.1, max(deadline - time.monotonic(), 0)))


class Command(db_worker.Command):
    help = "Run the tasks' worker: a thread for each queue (each message channel has one); outlasts a lost database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default=",".join(settings.TASK_QUEUES),
            help="The queues to work on, separated by commas; a thread each (default: %(default)s)",
        )
        parser.add_argument(
            "--interval",
            default=1.0,
            type=db_worker.valid_interval,
            help="Seconds to wait before looking again when a queue is empty (default: %(default)s)",
        )
        parser.add_argument(
            "--no-startup-delay", action="store_false", dest="startup_delay", help="Don't wait up to 1 s at start."
        )

    def handle(self, *, verbosity, queue_name, interval, startup_delay, **options):
        self.configure_logging(verbosity)
        me = f"{socket.gethostname()[:40]}-{os.getpid()}"
        workers = [
            OutboxWorker(channel=queue, interval=interval, startup_delay=startup_delay, worker_id=f"{me}-{queue}"[:64])
            if queue in MessageChannel.values
            else SteadyWorker(
                queue_names=[queue],
                interval=interval,
                batch=False,
                backend_name="default",
                startup_delay=startup_delay,
                max_tasks=None,
                worker_id=f"{me}-{queue}"[:64],
                excluded_queue_names=[],
            )
            for queue in queue_name.split(",")
        ]
        self.run_workers(workers)

    def run_workers(self, workers) -> None:
        """Run each worker in its thread until a signal (the message in hand finishes) or one of them fails."""
        threads = [threading.Thread(target=w.run, name=f"worker-{w.queue_names[0]}", daemon=True) for w in workers]

        def stop(signum, frame):
            if not any(w.running for w in workers):
                logger.warning("Received %s again: stopping now.", signal.strsignal(signum))
                sys.exit(1)
            logger.warning("Received %s: stopping once the messages in hand are done.", signal.strsignal(signum))
            for w in workers:
                w.running = False

        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            signal.signal(getattr(signal, name), stop)
        for thread in threads:
            thread.start()
        failed = False
        while any(thread.is_alive() for thread in threads):
            for worker, thread in zip(workers, threads, strict=True):
                if worker.running and not thread.is_alive():
                    # Died of something other than the database: stop the others (their messages in
                    # hand finish) and exit, for systemd to start the worker again.
                    logger.error("Worker %s stopped unexpectedly; stopping the others.", worker.worker_id)
                    failed = True
                    for w in workers:
                        w.running = False
            time.sleep(0.5)
        if failed:
            sys.exit(1)
