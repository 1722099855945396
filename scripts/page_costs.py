"""
What each public page costs in this process, as a ratio to `/robots.txt`, with the page cache off.

`/robots.txt` is the whole middleware stack answering a constant, so the ratio is what the page
itself adds, and it holds on a busy machine where milliseconds move by 2x between runs. Each page
is asked for `RUNS` times in turn (so a burst of other work on the machine hits every page alike),
and the figure is the median of its Python CPU time (`time.process_time`: on SQLite the database's
work is in it too; on PostgreSQL the server's is not, and the round trips are not CPU). The ratios
must stay within the targets below (issue 25): `make bench` prints them on its year of data, and

    .venv/bin/python scripts/page_costs.py

prints them on the demo data, in a SQLite database of its own (made, migrated and seeded here), or in
the empty database PAGE_COSTS_DATABASE_URL names. Beside the CPU it gives the wall time (PostgreSQL's
round trips and its own work are in that).
"""

import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("PAGE_COST_RUNS", "40"))

# Each page's ceiling, as a multiple of /robots.txt (issue 25).
NOT_FOUND, CONTENT, OTHER = 5, 10, 15


def pages() -> list[tuple[str, str, dict, int]]:
    """(name, path, headers, ceiling) of every public page, on whatever data the database holds."""
    from django.utils import timezone

    from bookings.models import Clinic, Physiotherapist
    from bookings.schedule import selectors
    from content.models import Condition

    clinic = Clinic.objects.active().order_by("pk").first()
    therapist = Physiotherapist.objects.active().order_by("pk").first()
    condition = Condition.objects.order_by("pk").first()
    slot = selectors.online_slots().filter(clinic=clinic).order_by("starts_at").first()
    day = timezone.localtime(slot.starts_at).date()
    htmx = {"HX-Request": "true"}
    return [
        ("robots.txt", "/robots.txt", {}, 1),
        ("404", "/no-such-page/", {}, NOT_FOUND),
        ("treatment", "/dry-needling/", {}, CONTENT),
        ("conditions", "/conditions/", {}, CONTENT),
        ("condition", f"/conditions/{condition.slug}/", {}, CONTENT),
        ("faq", "/faq/", {}, CONTENT),
        ("clinics", "/clinics/", {}, CONTENT),
        ("home", "/", {}, OTHER),
        ("clinic", f"/clinics/{clinic.slug}/", {}, OTHER),
        ("choose_clinic", "/book/", {}, OTHER),
        ("clinic_day", f"/book/{clinic.slug}/?date={day:%Y-%m-%d}", {}, OTHER),
        ("clinic_day_fragment", f"/book/{clinic.slug}/?date={day:%Y-%m-%d}", htmx, OTHER),
        ("team", "/physiotherapists/", {}, OTHER),
        ("therapist", f"/physiotherapists/{therapist.slug}/", {}, OTHER),
        ("booking_form", f"/book/slot/{slot.pk}/", {}, OTHER),
        ("home_urdu", "/ur/", {}, OTHER),
        ("booking_form_urdu", f"/ur/book/slot/{slot.pk}/", {}, OTHER),
    ]


def measure(runs: int = RUNS) -> list[dict]:
    """Each page's median CPU ms, its queries (the last run's) and its ratio to /robots.txt."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    listed = pages()
    client = Client(headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    timings = {name: [] for name, *_ in listed}
    walls = {name: [] for name, *_ in listed}
    queries = {}
    with override_settings(ASPIRE_PAGE_CACHE=False):
        for run in range(runs + 3):  # three to warm up, not counted
            for name, path, headers, _ in listed:
                with CaptureQueriesContext(connection) as captured:
                    began, wall = time.process_time(), time.perf_counter()
                    response = client.get(path, headers=headers)
                    spent, wall = time.process_time() - began, time.perf_counter() - wall
                assert response.status_code == (404 if name == "404" else 200), (path, response.status_code)
                if run >= 3:
                    timings[name].append(spent)
                    walls[name].append(wall)
                queries[name] = len(captured)
    floor = statistics.median(timings["robots.txt"])
    return [
        {
            "page": name,
            "path": path,
            "ms": statistics.median(timings[name]) * 1000,
            "wall_ms": statistics.median(walls[name]) * 1000,
            "queries": queries[name],
            "ratio": statistics.median(timings[name]) / floor,
            "ceiling": ceiling,
        }
        for name, path, headers, ceiling in listed
    ]


def report(rows: list[dict], print_line) -> None:
    for row in rows:
        print_line(
            "page_cost",
            page=row["page"],
            cpu_ms=f"{row['ms']:.2f}",
            wall_ms=f"{row['wall_ms']:.2f}",
            queries=row["queries"],
            ratio_to_robots=f"{row['ratio']:.1f}",
            ceiling=row["ceiling"],
            within="yes" if row["ratio"] <= row["ceiling"] else "NO",
        )


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="aspire-page-costs-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="aspire.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_STATIC_ROOT=str(folder / "static"),
        # PAGE_COSTS_DATABASE_URL: an empty PostgreSQL database instead (it is migrated and seeded here).
        DATABASE_URL=os.environ.get("PAGE_COSTS_DATABASE_URL") or f"sqlite:///{folder / 'db.sqlite3'}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    if os.environ.get("PAGE_COSTS_SEED", "1") != "0":  # 0: the database has its data already (the bench's)
        call_command("seed_demo", "--allow-production", verbosity=0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # not a line per 404 asked for

    def print_line(name, **figures):
        print("BENCH", name, " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)

    if len(sys.argv) > 2 and sys.argv[1] == "--profile":  # where one page's time goes
        import cProfile
        import pstats

        from django.conf import settings
        from django.test import Client

        settings.ASPIRE_PAGE_CACHE = False
        [(path, headers)] = [(p, h) for name, p, h, _ in pages() if name == sys.argv[2]]
        client = Client(headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
        client.get(path, headers=headers)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(50):
            client.get(path, headers=headers)
        profile.disable()
        pstats.Stats(profile).sort_stats(sys.argv[3] if len(sys.argv) > 3 else "cumulative").print_stats(45)
        return
    report(measure(), print_line)


if __name__ == "__main__":
    main()
