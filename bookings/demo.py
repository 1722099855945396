"""
Demo data for `make run`: invented, plausible for Karachi, marked as demo.
Every function here is idempotent: running seed_demo twice changes nothing.
"""

from bookings.models import Clinic

DEMO_CLINICS = [
    {
        "slug": "clifton",
        "name": "Clifton",
        "area": "Clifton",
        "address": "Plot 14-C, Block 5, Khayaban-e-Roomi, Clifton",
        "phone": "+922135871240",
        "email": "clifton@aspirewellness.example",
        "latitude": "24.815600",
        "longitude": "67.030300",
        "opening_hours": "Monday to Saturday: 10:00 to 20:00\nSunday: closed",
    },
    {
        "slug": "dha-phase-6",
        "name": "DHA Phase 6",
        "area": "DHA Phase 6",
        "address": "32-C, Bukhari Commercial Lane 6, DHA Phase 6",
        "phone": "+922135243318",
        "email": "dha@aspirewellness.example",
        "latitude": "24.797700",
        "longitude": "67.060800",
        "opening_hours": "Monday to Saturday: 11:00 to 21:00\nSunday: 12:00 to 18:00",
    },
    {
        "slug": "gulshan-e-iqbal",
        "name": "Gulshan-e-Iqbal",
        "area": "Gulshan-e-Iqbal",
        "address": "B-127, Block 13-D, near Maskan Chowrangi, Gulshan-e-Iqbal",
        "phone": "+922134987162",
        "email": "gulshan@aspirewellness.example",
        "latitude": "24.921900",
        "longitude": "67.094100",
        "opening_hours": "Monday to Saturday: 10:00 to 20:00\nSunday: closed",
    },
    {
        "slug": "pechs",
        "name": "PECHS",
        "area": "PECHS",
        "address": "45-A, Block 2, off Tariq Road, PECHS",
        "phone": "+922134531907",
        "email": "pechs@aspirewellness.example",
        "latitude": "24.871500",
        "longitude": "67.061900",
        "opening_hours": "Monday to Saturday: 10:00 to 19:00\nSunday: closed",
    },
]


def seed_clinics() -> list[Clinic]:
    clinics = []
    for spec in DEMO_CLINICS:
        clinic, _ = Clinic.objects.get_or_create(slug=spec["slug"], defaults={**spec, "is_demo": True})
        clinics.append(clinic)
    return clinics


DEMO_THERAPISTS = [
    ("Dr. Ayesha Siddiqui", "female", "DPT (Ziauddin University), certified in dry needling (IMS)"),
    ("Dr. Hamza Qureshi", "male", "DPT, MS Sports Physiotherapy, certified in dry needling"),
    ("Dr. Sana Malik", "female", "DPT, certified in trigger point dry needling"),
    ("Dr. Bilal Ahmed", "male", "DPT, MS Orthopaedic Manual Physical Therapy"),
    ("Dr. Mahnoor Khan", "female", "DPT, certified in dry needling and myofascial release"),
    ("Dr. Usman Raza", "male", "DPT (Dow University), certified in dry needling (IMS)"),
    ("Dr. Hira Shaikh", "female", "DPT, MS Neuromusculoskeletal Physiotherapy"),
    ("Dr. Faisal Mirza", "male", "DPT, certified in dry needling and sports taping"),
]

DEMO_SESSION_TYPES = [
    (
        "First visit: assessment and dry needling",
        "First visit",
        "An assessment of your pain and movement, then treatment.",
        45,
        6000,
        1,
    ),
    ("Follow-up dry needling", "Follow-up", "Treatment for a returning patient.", 45, 4500, 2),
]

DEMO_PATIENTS = [
    ("Zainab Hussain", "0300-2145789"), ("Ali Raza", "0321-4455667"), ("Fatima Noor", "0333-9081726"),
    ("Omar Farooq", "0345-6677889"), ("Ayesha Karim", "0312-3344556"), ("Hassan Javed", "0301-7788990"),
    ("Maryam Iqbal", "0322-1122334"), ("Saad Khan", "0343-5566778"), ("Nida Aslam", "0331-2233445"),
    ("Imran Sheikh", "0300-9988776"), ("Rabia Anwar", "0315-6655443"), ("Kamran Haider", "0302-1234987"),
]  # fmt: skip


DEMO_NOTES = ["", "Lower back pain for two months.", "Stiff neck from desk work.", "Knee pain after running."]


def seed_therapists(clinics) -> list:
    """Two therapists per clinic (one woman, one man), working Monday to Saturday."""
    import datetime as dt

    from django.utils.text import slugify

    from bookings.models import Physiotherapist, WeeklyAvailability
    from bookings.timeutils import local_today

    therapists = []
    valid_from = local_today() - dt.timedelta(days=60)
    shifts = [(dt.time(10), dt.time(14)), (dt.time(15), dt.time(19, 30))]
    for i, (name, gender, credentials) in enumerate(DEMO_THERAPISTS):
        therapist, _ = Physiotherapist.objects.get_or_create(
            slug=slugify(name.replace("Dr. ", "")),
            defaults={
                "name": name,
                "gender": gender,
                "credentials": credentials,
                "is_demo": True,
                "bio": f"{name.split()[1]} treats neck, back and sports injuries with dry needling and exercise.",
            },
        )
        therapists.append(therapist)
        clinic = clinics[(i // 2) % len(clinics)]
        if not therapist.availabilities.exists():
            for weekday in range(6):
                for start, end in shifts:
                    WeeklyAvailability.objects.create(
                        physiotherapist=therapist, clinic=clinic, weekday=weekday, start_time=start,
                        end_time=end, slot_minutes=45, valid_from=valid_from,
                    )  # fmt: skip
    return therapists


def seed_session_types() -> list:
    from bookings.models import SessionType

    return [
        SessionType.objects.get_or_create(
            name=name,
            defaults={
                "short_name": short,
                "description": desc,
                "duration_minutes": minutes,
                "price_pkr": price,
                "order": order,
            },
        )[0]
        for name, short, desc, minutes, price, order in DEMO_SESSION_TYPES
    ]


def seed_bookings(session_types, *, target: int = 70) -> int:
    """Spread bookings over the past week and the coming two weeks, in mixed states. Return how many exist."""
    import datetime as dt
    import random

    from django.utils import timezone

    from bookings import services
    from bookings.models import Booking, BookingSource, BookingStatus, Slot
    from bookings.timeutils import day_bounds, local_today

    existing = Booking.objects.filter(patient__name__in=[n for n, _ in DEMO_PATIENTS]).count()
    if existing >= target:
        return existing
    rng = random.Random(2026)  # the same demo every time
    now = timezone.now()
    slots = list(
        Slot.objects.free().filter(starts_at__gte=now - dt.timedelta(days=7), starts_at__lt=now + dt.timedelta(days=14))
    )
    # A busy "today" at every clinic, so the schedule shows what a real day looks like.
    start_today, end_today = day_bounds(local_today())
    today = [s for s in slots if start_today <= s.starts_at < end_today]
    rng.shuffle(today)
    rest = [s for s in slots if not start_today <= s.starts_at < end_today]
    rng.shuffle(rest)
    slots = today[: len(today) // 3] + rest
    made = existing
    for slot in slots[: target - existing]:
        name, phone = rng.choice(DEMO_PATIENTS)
        source = rng.choice([BookingSource.ONLINE, BookingSource.ONLINE, BookingSource.PHONE, BookingSource.WALK_IN])
        # Past sessions were booked in the past: book "as of" a week before the slot.
        booking = services.booking_create(
            slot_id=slot.pk,
            session_type=rng.choice(session_types),
            name=name,
            phone=phone,
            notes=rng.choice(DEMO_NOTES),
            consent=True,
            source=source,
            now=slot.starts_at - dt.timedelta(days=7),
            apply_online_rules=False,
            notify=False,
        )
        if slot.starts_at < now:
            outcome = rng.choices(["attended", "no_show", "cancelled"], weights=[7, 2, 1])[0]
        else:
            outcome = rng.choices(["confirmed", "cancelled"], weights=[9, 1])[0]
        if outcome == "attended":
            services.booking_mark_attended(booking=booking, now=slot.starts_at)
        elif outcome == "no_show":
            services.booking_mark_no_show(booking=booking, now=slot.ends_at)
        elif outcome == "cancelled":
            Booking.objects.filter(pk=booking.pk).update(
                status=BookingStatus.CANCELLED, cancelled_at=slot.starts_at - dt.timedelta(days=1)
            )
        made += 1
    return made


def seed_staff() -> list[tuple[str, str, str]]:
    """The demo receptionist and clinic manager. Return (role, username, password) for each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    logins = [
        ("Receptionist", "reception", "aspire-demo-2026", "Demo", "Receptionist"),
        ("Clinic manager", "manager", "aspire-manager-2026", "Demo", "Manager"),
    ]
    User = get_user_model()
    for group_name, username, password, first, last in logins:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "first_name": first, "last_name": last}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=group_name))
    return [(group, username, password) for group, username, password, *_ in logins]
