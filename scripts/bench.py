"""`make bench`: speed on the real stack, printed as figures (lines starting with BENCH).

Run inside a throwaway PostgreSQL (scripts/bench.sh wraps this in pg_virtualenv):
1. loads a year of data: 8 clinics, 40 therapists, every slot for 365 days
   (300 past, 65 ahead) made by the real slot generator (timed, and timed again as a
   rerun), most past ones booked;
2. times every public page in this process with the page cache off, as a ratio to /robots.txt
   (`page_cost`, scripts/page_costs.py: CPU median of 40, the wall time, the queries, and
   the ceiling issue 25 sets), and a booking POST in this process (`booking_post_in_process`,
   with its SQL statements, each listed as `booking_post_statement`);
3. serves it with gunicorn and the production settings (cache in the database) and
   loads /healthz, the home page, a clinic's day of free times, the booking form and
   the booking POST with wrk (16 connections), printing requests/s, p50, p99 and the
   ratio to /healthz; beside them, on two more gunicorns (scripts/bench_site.py), a bare
   Django view with no middleware (the yardstick of /healthz) and the home page and the
   clinic's day (full page and htmx fragment) with the page cache off. BENCH_ROUNDS
   repeats the whole series and prints each figure's median (`summary` lines);
   The Reports page for all 8 clinics, whole (`reports_page`, as a clinic manager past the
   second factor), for the last 4 weeks and the last 365 days (median of BENCH_REPORT_RUNS, 5).
   BENCH_SERVE=0 skips the gunicorn and wrk part;
4. counts every public page's queries (`page_queries`), times the clinic day page's queries
   (`day_of_times`) and the Reports page's figures
   (`reports_query_time`: every selector, for 4 weeks and a year) at 1x, 10x and 100x the
   data (BENCH_SCALES), the extra data being earlier years of the same clinics.

With wrk asking for the same address again and again, the public pages come from the
page cache (aspire/page_cache.py) after the first request; the booking form and the
booking POST are made every time.
"""

import datetime as dt
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "aspire.settings"
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"  # requests say X-Forwarded-Proto: https, as from nginx
# Pages made in this process (measure_in_process) and by gunicorn need the collected, hashed
# static files of production settings: collected once, into a folder of the run's own.
os.environ["DJANGO_STATIC_ROOT"] = tempfile.mkdtemp(prefix="aspire-bench-static-")
# The benchmark posts thousands of bookings from one address: the abuse limits would stop it at 20.
os.environ.update(
    ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR="100000000",
    ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR="100000000",
    DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    ASPIRE_SMS_CHANNEL="bookings.messaging.local_channels.LocmemBackend",
)

import django  # noqa: E402

django.setup()

import page_costs  # noqa: E402 - scripts/page_costs.py, beside this one
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bookings.models import (  # noqa: E402
    Booking,
    BookingStatus,
    Clinic,
    Contact,
    Patient,
    Physiotherapist,
    SessionType,
    Slot,
    WeeklyAvailability,
)
from bookings.schedule import free_times, selectors, slots  # noqa: E402

CLINICS, THERAPISTS_PER_CLINIC, PAST_DAYS, FUTURE_DAYS = 8, 5, 300, 65
CONNECTIONS, THREADS, SECONDS = 16, 2, int(os.environ.get("BENCH_SECONDS", "10"))
AREAS = ["Clifton", "DHA Phase 6", "Gulshan-e-Iqbal", "North Nazimabad", "PECHS", "Bahadurabad", "Saddar", "Malir"]


def bench(name: str, **figures) -> None:
    print("BENCH", name, " ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def load_year() -> None:
    today = timezone.localdate()
    start = today - dt.timedelta(days=PAST_DAYS)
    session_types = [
        SessionType.objects.create(
            name="First visit: assessment and dry needling",
            short_name="First visit",
            duration_minutes=60,
            price_pkr=6000,
        ),
        SessionType.objects.create(
            name="Follow-up dry needling", short_name="Follow-up", duration_minutes=45, price_pkr=4500
        ),
    ]
    for c, area in enumerate(AREAS[:CLINICS]):
        clinic = Clinic.objects.create(
            name=area,
            slug=f"clinic-{c}",
            area=area,
            address=f"{c + 1} Main Road",
            phone="0309-5885076",
            opening_hours="Mon to Sat, 10:00 to 20:00",
        )
        for t in range(THERAPISTS_PER_CLINIC):
            therapist = Physiotherapist.objects.create(
                name=f"Dr. {area} {t}",
                slug=f"therapist-{c}-{t}",
                credentials="DPT",
                gender="female" if t % 2 else "male",
            )
            WeeklyAvailability.objects.bulk_create(
                WeeklyAvailability(
                    physiotherapist=therapist,
                    clinic=clinic,
                    weekday=weekday,
                    start_time=dt.time(10),
                    end_time=dt.time(20),
                    slot_minutes=45,
                    valid_from=start,
                )
                for weekday in range(6)
            )
    began = time.perf_counter()
    made = slots.slots_generate(start_date=start, days=PAST_DAYS + FUTURE_DAYS)
    seconds = time.perf_counter() - began
    bench(
        "slot_generation",
        days=PAST_DAYS + FUTURE_DAYS,
        therapists=CLINICS * THERAPISTS_PER_CLINIC,
        slots=made,
        seconds=f"{seconds:.2f}",
        slots_per_s=f"{made / seconds:.0f}",
    )
    # Run again: idempotent, and how long a daily cron run over a full year costs.
    began = time.perf_counter()
    again = slots.slots_generate(start_date=start, days=PAST_DAYS + FUTURE_DAYS)
    bench(
        "slot_generation_rerun", days=PAST_DAYS + FUTURE_DAYS, slots=again, seconds=f"{time.perf_counter() - began:.2f}"
    )

    # Most past slots booked (85 %), a third of the future ones; patients come back 2 to 6 times.
    # One number in nine books for a second person too (a family's shared phone).
    contacts = Contact.objects.bulk_create(Contact(phone=f"+92300{1000000 + i}") for i in range(18000))
    patients = Patient.objects.bulk_create(
        Patient(name=f"Patient {i}", contact=contacts[i if i < 18000 else (i - 18000) * 9]) for i in range(20000)
    )
    now = timezone.now()
    slot_times = list(Slot.objects.order_by("starts_at").values_list("pk", "starts_at"))
    bookings = []
    for i, (slot_id, starts_at) in enumerate(slot_times):
        past = starts_at < now
        if (i * 7919) % 100 >= (85 if past else 33):
            continue
        patient = patients[(i * 31) % len(patients)]
        status = BookingStatus.CONFIRMED
        if past:
            status = BookingStatus.NO_SHOW if i % 10 == 0 else BookingStatus.ATTENDED
        bookings.append(
            Booking(
                reference=f"B{i:07d}",
                manage_token=secrets.token_urlsafe(24),
                slot_id=slot_id,
                session_type=session_types[i % 2],
                patient=patient,
                name=patient.name,
                phone=patient.contact.phone,
                consent=True,
                status=status,
                # An attended session keeps its fee (as booking_mark_attended does): the reports' revenue.
                fee_pkr=session_types[i % 2].price_pkr if status == BookingStatus.ATTENDED else None,
            )
        )
    Booking.objects.bulk_create(bookings, batch_size=5000)
    # The bookings were written around the booking services: the table of free times is made again
    # from the policy, as README's "Writing around the services" says (and the time that takes).
    began = time.perf_counter()
    rows = free_times.refresh(slots=Q())
    bench("free_times_rebuild", rows=rows, seconds=f"{time.perf_counter() - began:.2f}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    bench(
        "data",
        clinics=CLINICS,
        therapists=CLINICS * THERAPISTS_PER_CLINIC,
        slots=len(slot_times),
        bookings=len(bookings),
        patients=len(patients),
    )


def day_of_times(clinic: Clinic, day: dt.date, runs: int = 30) -> tuple[float, int]:
    """The clinic day page's data, as the page asks for it (no page cache): which of the two weeks
    shown have free times, the chosen day's times, and the next free day after it."""
    today = timezone.localdate()
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            selectors.free_times(clinic=clinic, first=today, last=today + dt.timedelta(days=13)).on(day)
            selectors.next_free_day(clinic=clinic, after=day)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000, len(queries)


def grow_history(first: dt.datetime, copies: range) -> None:
    """Add earlier years of the same clinics' slots and bookings: copy k of the year that starts
    at `first` lies k years before it (whole weeks keep weekdays, and no slot of a therapist
    overlaps another). Past copies are attended bookings, as most past slots are."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(starts_at) FROM bookings_slot")
        span_weeks = ((cursor.fetchone()[0] - first).days // 7) + 1
        for k in copies:
            shift = dt.timedelta(weeks=span_weeks * k)
            cursor.execute(
                """
                INSERT INTO bookings_slot (physiotherapist_id, clinic_id, starts_at, ends_at, is_blocked,
                                           block_reason, created_at)
                SELECT physiotherapist_id, clinic_id, starts_at - %s, ends_at - %s, is_blocked, block_reason,
                       created_at
                FROM bookings_slot WHERE starts_at >= %s
                """,
                [shift, shift, first],
            )
            cursor.execute(
                """
                INSERT INTO bookings_booking (reference, manage_token, form_key, slot_id, session_type_id,
                    patient_id, name, phone, email, notes, consent, status, source, cancel_reason, created_at,
                    updated_at, language, fee_pkr, deposit_pkr, deposit_status)
                SELECT b.reference || '-' || %s, b.manage_token || '-' || %s, '', old.id, b.session_type_id,
                       b.patient_id, b.name, b.phone, '', '', true, %s, b.source, '', b.created_at, b.updated_at,
                       b.language, t.price_pkr, b.deposit_pkr, b.deposit_status
                FROM bookings_booking b
                JOIN bookings_sessiontype t ON t.id = b.session_type_id
                JOIN bookings_slot s ON s.id = b.slot_id AND s.starts_at >= %s
                JOIN bookings_slot old ON old.physiotherapist_id = s.physiotherapist_id
                                      AND old.starts_at = s.starts_at - %s
                """,
                [k, k, BookingStatus.ATTENDED, first, shift],
            )
        cursor.execute("ANALYZE")


def measure_in_process() -> None:
    """
    Each public page's cost in this process with the page cache off, as a ratio to /robots.txt
    (scripts/page_costs.py: CPU, median of 40, and the wall time), and a booking POST, which is never
    cached: its time in this process and its SQL statements (the last POST's, listed).
    """
    from django.test import Client

    page_costs.report(page_costs.measure(), bench)
    client = Client(headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"})
    session_type = SessionType.objects.first().pk
    timings = []
    for i, slot_id in enumerate(selectors.online_slots().order_by("?").values_list("pk", flat=True)[:21]):
        data = {"name": "Bench Patient", "phone": f"+92334{i:07d}", "session_type": session_type, "consent": "on"}
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            assert client.post(f"/book/slot/{slot_id}/", data).status_code == 302
        timings.append(time.perf_counter() - began)
    bench("booking_post_in_process", median_ms=f"{statistics.median(timings) * 1000:.1f}", statements=len(queries))
    for number, query in enumerate(queries.captured_queries, 1):
        bench("booking_post_statement", n=number, sql=query["sql"][:100].replace(" ", "_"))


def reports(runs: int) -> dict[str, tuple[float, int]]:
    """The Reports page's figures for all 8 clinics (bookings.desk.reports.build: every selector, this
    period and the one before) for the last 4 weeks and for the last 365 days: (median ms, queries)."""
    from bookings.desk import reports as page
    from bookings.reports.periods import period_for
    from bookings.reports.selectors import Scope

    today = timezone.localdate()
    scope = Scope(clinic_ids=tuple(Clinic.objects.order_by("pk").values_list("pk", flat=True)))
    figures = {}
    for name, period in [
        ("4weeks", period_for("4weeks", today=today)),
        ("year", period_for("custom", today=today, first=today - dt.timedelta(days=364), last=today)),
    ]:
        timings = []
        for _ in range(runs):
            began = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                page.build(scope=scope, period=period, now=timezone.now())
            timings.append(time.perf_counter() - began)
        figures[name] = (statistics.median(timings) * 1000, len(queries))
        # Where the time goes: the slowest statements of the last run, by the measure they belong to.
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
            bench("reports_slowest_query", period=name, ms=f"{float(query['time']) * 1000:.0f}", sql=query["sql"][:90])
    return figures


def measure_reports_page() -> None:
    """The whole Reports page (GET, as a clinic manager past the second factor) in this process."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.staff import sign_in

    manager = get_user_model().objects.create_superuser("bench-manager", password=secrets.token_urlsafe(16))
    client = sign_in(Client(headers={"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}), manager)
    today = timezone.localdate()
    year = f"?period=custom&first={today - dt.timedelta(days=364)}&last={today}"
    for name, query in [("4weeks", ""), ("year", year)]:
        timings = []
        for _ in range(int(os.environ.get("BENCH_REPORT_RUNS", "5"))):
            began = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/admin/bookings/reports/{query}")
            assert response.status_code == 200, response.status_code
            timings.append(time.perf_counter() - began)
        bench("reports_page", period=name, median_ms=f"{statistics.median(timings) * 1000:.0f}", queries=len(queries))


def measure_scaling() -> None:
    clinic = Clinic.objects.get(slug="clinic-0")
    day = timezone.localdate() + dt.timedelta(days=2)
    first = Slot.objects.earliest("starts_at").starts_at
    copies = 0
    for scale in map(int, os.environ.get("BENCH_SCALES", "1,10,100").split(",")):
        began = time.perf_counter()
        grow_history(first, range(copies + 1, scale))
        copies = scale - 1
        grown = time.perf_counter() - began
        for row in page_costs.measure(runs=5):  # the query counts stay flat as the data grows
            bench("page_queries", scale=f"{scale}x", page=row["page"], queries=row["queries"],
                  ratio_to_robots=f"{row['ratio']:.1f}")  # fmt: skip
        median_ms, queries = day_of_times(clinic, day)
        bench(
            "day_of_times",
            scale=f"{scale}x",
            slots=Slot.objects.count(),
            bookings=Booking.objects.count(),
            median_ms=f"{median_ms:.2f}",
            queries=queries,
            load_seconds=f"{grown:.0f}",
        )
        for name, (ms, queries) in reports(int(os.environ.get("BENCH_REPORT_RUNS", "5"))).items():
            bench("reports_query_time", scale=f"{scale}x", period=name, median_ms=f"{ms:.0f}", queries=queries)


WRK_POST = """
-- Each request books another free slot as another patient.
local ids = {}
for line in io.lines(os.getenv("BENCH_SLOTS")) do ids[#ids + 1] = line end
local counter, step = 0, 1
local threads = {}
function setup(thread)
  thread:set("first", #threads) ; table.insert(threads, thread)
end
function init(args)
  -- Each round of the series starts further along the list: its slots are still free.
  counter = first + tonumber(os.getenv("BENCH_OFFSET")) ; step = tonumber(os.getenv("BENCH_THREADS"))
end
function request()
  counter = counter + step
  local id = ids[(counter % #ids) + 1]
  local body = "csrfmiddlewaretoken=" .. os.getenv("BENCH_CSRF") .. "&name=Bench+Patient&phone=%2B92333" ..
    string.format("%07d", counter) .. "&session_type=" .. os.getenv("BENCH_SESSION") .. "&consent=on"
  return wrk.format("POST", "/book/slot/" .. id .. "/", nil, body)
end
"""


def wrk(path: str, port: int, *, script: str | None = None, env: dict | None = None, headers=()) -> dict:
    headers = ["-H", "X-Forwarded-Proto: https", "-H", f"Origin: https://127.0.0.1:{port}", *headers]
    command = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--latency", *headers]
    if script:
        command += [
            "-s",
            script,
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "-H",
            f"Cookie: csrftoken={env['BENCH_CSRF_COOKIE']}",
            "-H",
            f"Referer: https://127.0.0.1:{port}/book/",
        ]
    out = subprocess.run(  # noqa: S603 - our own command line
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    ).stdout

    def ms(label):
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms(50),
        "p99": ms(99),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "none",
    }


def serve(name: str, workers: str, extra_env: dict) -> tuple[subprocess.Popen, int]:
    """Start gunicorn with the production config on a free port; return it once /healthz (or /bare) answers."""
    import http.client
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(Path(os.environ["DJANGO_STATIC_ROOT"]) / f"gunicorn-{name}.log", "w")  # noqa: SIM115 - the server's
    server = subprocess.Popen(  # noqa: S603 - our own command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "python:aspire.gunicorn_conf",
            "--pythonpath",
            str(ROOT / "scripts"),
            "aspire.wsgi",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env={**os.environ, **extra_env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": workers},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    probe = "/bare" if extra_env.get("BENCH_SITE") == "bare" else "/healthz"
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", probe)
            if c.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    return server, port


def serve_and_load() -> None:
    import http.client

    static_root = os.environ["DJANGO_STATIC_ROOT"]
    workers = os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1))
    yardsticks = {"BENCH_SITE": "", "DJANGO_SETTINGS_MODULE": "bench_site"}
    servers = {
        "site": serve("site", workers, {}),
        "bare": serve("bare", workers, {**yardsticks, "BENCH_SITE": "bare"}),
        "uncached": serve("uncached", workers, {**yardsticks, "BENCH_SITE": "uncached"}),
    }
    port = servers["site"][1]
    try:
        clinic = Clinic.objects.get(slug="clinic-0")
        day = timezone.localdate() + dt.timedelta(days=2)
        free = list(selectors.online_slots().order_by("?").values_list("pk", flat=True)[:20000])
        form_slot = free.pop()
        # One patient's CSRF cookie and token, as the booking form hands them out.
        c = http.client.HTTPConnection("127.0.0.1", port)
        c.request("GET", f"/book/slot/{form_slot}/", headers={"X-Forwarded-Proto": "https"})
        response = c.getresponse()
        page = response.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        slots_file = Path(static_root) / "slots.txt"
        slots_file.write_text("\n".join(map(str, free)) + "\n")
        script = Path(static_root) / "post.lua"
        script.write_text(WRK_POST)
        post_env = {
            "BENCH_SLOTS": str(slots_file),
            "BENCH_CSRF": token,
            "BENCH_CSRF_COOKIE": cookie,
            "BENCH_THREADS": str(THREADS),
            "BENCH_SESSION": str(SessionType.objects.first().pk),
        }

        for server, server_port in servers.values():  # warm every worker's connection and caches; not reported
            wrk("/bare" if server is servers["bare"][0] else "/healthz", server_port)
        day_path = f"/book/{clinic.slug}/?date={day:%Y-%m-%d}"
        htmx = ("-H", "HX-Request: true")
        # (name, server, path, wrk options): the computed pages beside the cached ones.
        endpoints = [
            ("healthz", "site", "/healthz", {}),
            ("bare_django_view", "bare", "/bare", {}),
            ("home", "site", "/", {}),
            ("home_computed", "uncached", "/", {}),
            ("clinic_day", "site", day_path, {}),
            ("clinic_day_computed", "uncached", day_path, {}),
            ("clinic_day_fragment_computed", "uncached", day_path, {"headers": htmx}),
            ("booking_form", "site", f"/book/slot/{form_slot}/", {}),
            ("booking_post", "site", "/book/slot/", {"script": str(script), "env": post_env}),
        ]
        before = Booking.objects.count()
        rounds = int(os.environ.get("BENCH_ROUNDS", "1"))
        results: dict[str, list[dict]] = {name: [] for name, *_ in endpoints}
        for round_ in range(1, rounds + 1):
            floor = None
            for name, server, path, options in endpoints:
                if "env" in options:
                    options["env"]["BENCH_OFFSET"] = str((round_ - 1) * len(free) // rounds)
                result = wrk(path, servers[server][1], **options)
                result["ratio"] = result["rps"] / (floor := floor or result["rps"])
                results[name].append(result)
                bench(
                    name,
                    round=round_,
                    path=path.split("?")[0] if "clinic_day" not in name else path,
                    rps=f"{result['rps']:.0f}",
                    p50_ms=f"{result['p50']:.1f}",
                    p99_ms=f"{result['p99']:.1f}",
                    ratio_to_healthz=f"{result['ratio']:.2f}",
                    requests=result["requests"],
                    non_2xx_3xx=result["non_2xx_3xx"],
                    socket_errors=result["socket_errors"].replace(" ", ""),
                    clients=CONNECTIONS,
                    workers=workers,
                )
        for name, runs in results.items():  # each figure's median over the rounds
            bench(
                "summary",
                endpoint=name,
                rounds=rounds,
                rps=f"{statistics.median(r['rps'] for r in runs):.0f}",
                p99_ms=f"{statistics.median(r['p99'] for r in runs):.1f}",
                ratio_to_healthz=f"{statistics.median(r['ratio'] for r in runs):.2f}",
            )
        bench("load_average", one_five_fifteen="/".join(f"{x:.2f}" for x in os.getloadavg()))
        made = Booking.objects.count() - before
        doubled = Booking.objects.active().values("slot").annotate(n=django.db.models.Count("pk")).filter(n__gt=1)
        bench("booking_post_outcome", bookings_made=made, slots_with_two_active_bookings=doubled.count())
        server_errors = sum(
            log.read_text().count("Internal Server Error") for log in Path(static_root).glob("gunicorn-*.log")
        )
        bench("server_errors", count=server_errors)
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    bench(
        "machine",
        cpus=os.cpu_count(),
        python=sys.version.split()[0],
        django=django.get_version(),
        postgres=connection.pg_version,
    )
    load_year()
    measure_in_process()
    measure_reports_page()
    if os.environ.get("BENCH_SERVE", "1") != "0":
        serve_and_load()
    measure_scaling()


if __name__ == "__main__":
    main()
