"""
Demo data for `make run`: invented, plausible for Karachi, marked as demo.
Every function here is idempotent: running seed_demo twice changes nothing.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from bookings.booking import services
from bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingSource,
    CancelReason,
    Clinic,
    Message,
    Physiotherapist,
    SessionType,
    WeeklyAvailability,
)
from bookings.phones import normalize_phone
from bookings.schedule import availability
from bookings.schedule.availability import Channel
from bookings.timeutils import day_bounds, local_today

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


# What Urdu pages show of each demo clinic (django-modeltranslation's _ur fields): its name in Urdu
# letters too, so a line in Urdu is in one script ("کلفٹن", not "Clifton", beside "خیابانِ رومی").
_WEEKDAYS_UR = "پیر تا ہفتہ"
DEMO_CLINICS_UR = {
    "clifton": {
        "name_ur": "کلفٹن",
        "area_ur": "کلفٹن",
        "address_ur": "پلاٹ 14-C، بلاک 5، خیابانِ رومی، کلفٹن",
        "opening_hours_ur": f"{_WEEKDAYS_UR}: 10:00 سے 20:00\nاتوار: بند",
    },
    "dha-phase-6": {
        "name_ur": "ڈی ایچ اے فیز 6",
        "area_ur": "ڈی ایچ اے فیز 6",
        "address_ur": "32-C، بخاری کمرشل لین 6، ڈی ایچ اے فیز 6",
        "opening_hours_ur": f"{_WEEKDAYS_UR}: 11:00 سے 21:00\nاتوار: 12:00 سے 18:00",
    },
    "gulshan-e-iqbal": {
        "name_ur": "گلشنِ اقبال",
        "area_ur": "گلشنِ اقبال",
        "address_ur": "B-127، بلاک 13-D، مسکن چورنگی کے قریب، گلشنِ اقبال",
        "opening_hours_ur": f"{_WEEKDAYS_UR}: 10:00 سے 20:00\nاتوار: بند",
    },
    "pechs": {
        "name_ur": "پی ای سی ایچ ایس",
        "area_ur": "پی ای سی ایچ ایس",
        "address_ur": "45-A، بلاک 2، طارق روڈ کے پاس، پی ای سی ایچ ایس",
        "opening_hours_ur": f"{_WEEKDAYS_UR}: 10:00 سے 19:00\nاتوار: بند",
    },
}


def _fill_blank_urdu(obj, urdu: dict) -> None:
    """Give a demo row seeded before its Urdu was written (the names came later) the Urdu it lacks."""
    blank = {field: value for field, value in urdu.items() if obj.is_demo and not getattr(obj, field)}
    if blank:
        type(obj).objects.filter(pk=obj.pk).update(**blank)
        for field, value in blank.items():
            setattr(obj, field, value)


def seed_clinics() -> list[Clinic]:
    clinics = []
    for spec in DEMO_CLINICS:
        defaults = {**spec, **DEMO_CLINICS_UR[spec["slug"]], "is_demo": True}
        clinic, _ = Clinic.objects.get_or_create(slug=spec["slug"], defaults=defaults)
        _fill_blank_urdu(clinic, DEMO_CLINICS_UR[spec["slug"]])
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
# Each demo therapist's name as an Urdu page, message and calendar file write it, in order.
DEMO_NAMES_UR = [
    "ڈاکٹر عائشہ صدیقی",
    "ڈاکٹر حمزہ قریشی",
    "ڈاکٹر ثنا ملک",
    "ڈاکٹر بلال احمد",
    "ڈاکٹر ماہ نور خان",
    "ڈاکٹر عثمان رضا",
    "ڈاکٹر حرا شیخ",
    "ڈاکٹر فیصل مرزا",
]
# The same credentials as an Urdu page shows them (degree names stay as Pakistani clinics write them).
DEMO_CREDENTIALS_UR = [
    "DPT (ضیاء الدین یونیورسٹی)، ڈرائی نیڈلنگ (IMS) کی سند یافتہ",
    "DPT، MS اسپورٹس فزیوتھراپی، ڈرائی نیڈلنگ کے سند یافتہ",
    "DPT، ٹرگر پوائنٹ ڈرائی نیڈلنگ کی سند یافتہ",
    "DPT، MS آرتھوپیڈک مینوئل فزیکل تھراپی",
    "DPT، ڈرائی نیڈلنگ اور مائیوفیشل ریلیز کی سند یافتہ",
    "DPT (ڈاؤ یونیورسٹی)، ڈرائی نیڈلنگ (IMS) کے سند یافتہ",
    "DPT، MS نیورومسکولواسکیلیٹل فزیوتھراپی",
    "DPT، ڈرائی نیڈلنگ اور اسپورٹس ٹیپنگ کے سند یافتہ",
]

# The Urdu name and description of each demo session type, by its English name.
DEMO_SESSION_TYPES_UR = {
    "First visit: assessment and dry needling": (
        "پہلا وزٹ: معائنہ اور ڈرائی نیڈلنگ",
        "آپ کے درد اور حرکت کا معائنہ، پھر علاج۔",
    ),
    "Follow-up dry needling": ("فالو اپ ڈرائی نیڈلنگ", "پہلے آ چکے مریض کا علاج۔"),
}

DEMO_SESSION_TYPES = [
    (
        "First visit: assessment and dry needling",
        "First visit",
        "An assessment of your pain and movement, then treatment.",
        45,
        6000,
        1,
        False,
    ),
    ("Follow-up dry needling", "Follow-up", "Treatment for a returning patient.", 45, 4500, 2, True),
]

DEMO_PATIENTS = [
    ("Zainab Hussain", "0300-2145789"), ("Ali Raza", "0321-4455667"), ("Fatima Noor", "0333-9081726"),
    ("Omar Farooq", "0345-6677889"), ("Ayesha Karim", "0312-3344556"), ("Hassan Javed", "0301-7788990"),
    ("Maryam Iqbal", "0322-1122334"), ("Saad Khan", "0343-5566778"), ("Nida Aslam", "0331-2233445"),
    ("Imran Sheikh", "0300-9988776"), ("Rabia Anwar", "0315-6655443"), ("Kamran Haider", "0302-1234987"),
    # A family on one phone: Zainab books for her son and her father too.
    ("Hamza Hussain", "0300-2145789"), ("Ghulam Hussain", "0300-2145789"),
]  # fmt: skip

# More patients, invented from common Karachi names: enough that each clinic's regulars fill
# about a third of its day, as a branch a few months old would.
_FIRST_NAMES = [
    "Sana", "Usman", "Hina", "Bilal", "Amna", "Faisal", "Sadia", "Junaid", "Mehwish", "Tariq", "Sobia", "Adnan",
    "Komal", "Waqas", "Iqra", "Asad", "Rida", "Shahid", "Aliya", "Naveed", "Farah", "Zeeshan", "Uzma", "Kashif",
    "Sidra", "Haris", "Anum", "Salman", "Bushra", "Fahad", "Saima", "Arsalan", "Hira", "Danish", "Lubna", "Yasir",
]  # fmt: skip
_SURNAMES = ["Ahmed", "Siddiqui", "Qureshi", "Malik", "Baig", "Mirza", "Chaudhry", "Zaidi", "Rizvi", "Memon", "Ansari"]
_PREFIXES = ["0300", "0301", "0302", "0312", "0315", "0321", "0322", "0331", "0333", "0343", "0345"]


def _more_patients(count: int) -> list[tuple[str, str]]:
    rng = random.Random(15)
    names = [f"{first} {last}" for first in _FIRST_NAMES for last in _SURNAMES]
    rng.shuffle(names)
    numbers = rng.sample(range(1_000_000, 10_000_000), count)
    return [(names[i], f"{_PREFIXES[i % len(_PREFIXES)]}-{numbers[i]}") for i in range(count)]


DEMO_PATIENTS += _more_patients(116)

DEMO_NOTES = ["", "Lower back pain for two months.", "Stiff neck from desk work.", "Knee pain after running."]


def seed_therapists(clinics) -> list:
    """Two therapists per clinic (one woman, one man), working Monday to Saturday."""
    therapists = []
    valid_from = local_today() - dt.timedelta(days=60)
    shifts = [(dt.time(10), dt.time(14)), (dt.time(15), dt.time(19, 30))]
    for i, (name, gender, credentials) in enumerate(DEMO_THERAPISTS):
        therapist, _ = Physiotherapist.objects.get_or_create(
            slug=slugify(name.replace("Dr. ", "")),
            defaults={
                "name": name,
                "name_ur": DEMO_NAMES_UR[i],
                "gender": gender,
                "credentials": credentials,
                "credentials_ur": DEMO_CREDENTIALS_UR[i],
                "is_demo": True,
                "bio": f"{name.split()[1]} treats neck, back and sports injuries with dry needling and exercise.",
                "bio_ur": f"{DEMO_NAMES_UR[i].split()[1]} گردن، کمر اور کھیل کی چوٹوں کا علاج ڈرائی نیڈلنگ اور ورزش سے "
                + ("کرتی ہیں۔" if gender == "female" else "کرتے ہیں۔"),
            },
        )
        _fill_blank_urdu(therapist, {"name_ur": DEMO_NAMES_UR[i]})
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
    return [
        SessionType.objects.get_or_create(
            name=name,
            defaults={
                "short_name": short,
                "description": desc,
                "name_ur": DEMO_SESSION_TYPES_UR[name][0],
                "description_ur": DEMO_SESSION_TYPES_UR[name][1],
                "duration_minutes": minutes,
                "price_pkr": price,
                "order": order,
                "is_follow_up": follow_up,
            },
        )[0]
        for name, short, desc, minutes, price, order, follow_up in DEMO_SESSION_TYPES
    ]


def _patient_habits() -> list[dict]:
    """
    Each demo patient's clinic, the weekdays they come on (once or twice a week), the time they
    like, and whether they are new (their first session is an assessment) or part way through a course.
    """
    rng = random.Random(2026)  # the same demo every time
    weekly = [(0, 3), (1, 4), (2, 5), (0,), (1,), (2,), (3,), (4,), (5,)]
    return [
        {
            "name": name,
            "phone": phone,
            "e164": normalize_phone(phone),
            "clinic": DEMO_CLINICS[i % len(DEMO_CLINICS)]["slug"],
            "weekdays": rng.choice(weekly),
            "minute": rng.choice([10 * 60, 11 * 60, 12 * 60 + 15, 15 * 60, 16 * 60 + 30, 17 * 60 + 15, 18 * 60]),
            "new": rng.random() < 0.3,
        }
        for i, (name, phone) in enumerate(DEMO_PATIENTS)
    ]


def _fill(days_ahead: int) -> float:
    """How likely a regular has booked their visit: all but certain for past days, less so further ahead."""
    return 0.9 if days_ahead <= 0 else max(0.25, 0.85 - 0.06 * days_ahead)


def _nearest(free: list, minute: int):
    """Return the free slot that starts nearest `minute` past midnight, local time."""

    def distance(slot) -> int:
        local = timezone.localtime(slot.starts_at)
        return abs(local.hour * 60 + local.minute - minute)

    return min(free, key=distance)


def _book_visit(*, habit: dict, slot, session_type, rng, walk_in: bool, now):
    """Book `slot` for the patient as reception or the website would have, and play out what happened."""
    if walk_in:
        source, booked_at = BookingSource.WALK_IN, slot.starts_at - dt.timedelta(minutes=rng.randint(5, 40))
    else:
        source = rng.choices([BookingSource.ONLINE, BookingSource.PHONE], weights=[3, 1])[0]
        booked_at = min(now, slot.starts_at - dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 9)))
    # Through the desk's door whatever the source: the history is replayed without the online limits.
    booking = services.book_at_desk(
        slot_id=slot.pk,
        session_type=session_type,
        name=habit["name"],
        phone=habit["phone"],
        notes=rng.choice(DEMO_NOTES) if habit["new"] else "",
        consent=True,
        source=source,
        now=booked_at,
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=booked_at)
    if slot.starts_at <= now:
        outcome = rng.choices(["attended", "no_show", "cancelled"], weights=[85, 8, 7])[0]
        if walk_in or slot.ends_at > now:
            outcome = "attended"  # here, or in the room now
    else:
        outcome = rng.choices(["confirmed", "cancelled"], weights=[92, 8])[0]
    if outcome == "attended":
        services.booking_mark_attended(booking=booking, now=min(now, slot.starts_at))
    elif outcome == "no_show":
        services.booking_mark_no_show(booking=booking, now=slot.ends_at)
    elif outcome == "cancelled":
        cancelled_at = min(now, max(booked_at, slot.starts_at - dt.timedelta(days=1)))
        services.booking_cancel(booking=booking, reason=CancelReason.PATIENT_ASKED, now=cancelled_at)
    return outcome


def seed_bookings(session_types, *, past_days: int = 7, coming_days: int = 14) -> int:
    """
    Fill the past week, today and the coming fortnight as a real clinic's would look: each patient
    a regular of one clinic, coming once or twice a week at about the same time, at most one session
    a day (so never in two places at once); past sessions attended, a few no-shows and cancellations;
    walk-ins; coming sessions confirmed, fewer the further ahead. A clinic's day that already has demo
    bookings is left as it is, so running it again adds nothing. Return how many demo bookings exist.
    """
    first_visit, follow_up = session_types[0], session_types[1]
    now, today = timezone.now(), local_today()
    clinics = {c.slug: c for c in Clinic.objects.filter(slug__in=[spec["slug"] for spec in DEMO_CLINICS])}
    habits = _patient_habits()
    last_message = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    demo = Booking.objects.filter(patient__contact__phone__in=[habit["e164"] for habit in habits])
    # What is there already, read once: the clinics' days seeded, each patient's days with a session
    # (a patient is a name under a number: a family shares one phone).
    seeded, busy, seen = set(), set(), set()
    for clinic_id, starts_at, phone, name, status in demo.values_list(
        "slot__clinic_id", "slot__starts_at", "patient__contact__phone", "patient__name", "status"
    ):
        day = timezone.localtime(starts_at).date()
        seeded.add((clinic_id, day))
        seen.add((str(phone), name))
        if status in ACTIVE_STATUSES:
            busy.add((str(phone), name, day))
    for offset in range(-past_days, coming_days):
        day = today + dt.timedelta(days=offset)
        start, end = day_bounds(day)
        for slug, clinic in clinics.items():
            if (clinic.pk, day) in seeded:
                continue
            # Free as the desk saw the day that morning.
            bookable = availability.bookable(channel=Channel.STAFF, now=start)
            free = list(bookable.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end))
            for habit in habits:
                if habit["clinic"] != slug or day.weekday() not in habit["weekdays"] or not free:
                    continue
                person = (habit["e164"], habit["name"])
                if (*person, day) in busy:
                    continue  # one session a day
                rng = random.Random(f"{day.isoformat()} {habit['phone']}")
                walk_in = offset <= 0 and rng.random() < 0.12
                if not walk_in and rng.random() >= _fill(offset):
                    continue
                slot = _nearest(free, habit["minute"])
                first = habit["new"] and person not in seen
                outcome = _book_visit(
                    habit=habit,
                    slot=slot,
                    session_type=first_visit if first else follow_up,
                    rng=rng,
                    walk_in=walk_in and slot.starts_at <= now,  # nobody walks in for later today
                    now=now,
                )
                seen.add(person)
                if outcome != "cancelled":
                    free.remove(slot)  # a cancelled time is free again, for someone else
                    busy.add((*person, day))
    # A replayed history tells no one: the confirmations and cancellations it queued (only those) go.
    Message.objects.filter(booking__in=demo, pk__gt=last_message).delete()
    return demo.count()


def seed_staff(clinics=()) -> list[tuple[str, str, str]]:
    """
    The demo receptionist (who runs the desks of the first two `clinics`) and clinic manager
    (who sees them all). Return (role, username, password) for each.
    """
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
        if group_name == "Receptionist":
            for clinic in sorted(clinics, key=lambda c: c.name)[:2]:
                clinic.front_desk.add(user)
    return [(group, username, password) for group, username, password, *_ in logins]
