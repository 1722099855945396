"""The front desk's day: one clinic's schedule, therapists across and times down."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from bookings.forms import ScheduleForm
from bookings.models import Clinic
from bookings.selectors import clinic_day_schedule
from bookings.timeutils import local_today


@permission_required("bookings.view_booking", raise_exception=True)
def schedule(request):
    clinics = list(Clinic.objects.active())
    today = local_today()
    form = ScheduleForm(request.GET or None)
    if form.is_bound and form.is_valid():
        clinic, day = form.cleaned_data["clinic"], form.cleaned_data["date"]
    else:
        clinic = next((c for c in clinics if str(c.pk) == request.GET.get("clinic")), clinics[0] if clinics else None)
        day = today
        if "date" not in form.errors:  # else keep the date as typed, with its error
            form = ScheduleForm(initial={"clinic": clinic, "date": day})
    context = {
        **admin.site.each_context(request),
        "title": f"Schedule: {clinic.name if clinic else 'no clinics'}, {day:%A %d %B %Y}",
        "form": form,
        "clinic": clinic,
        "day": day,
        "today": today,
        "can_add_booking": request.user.has_perm("bookings.add_booking"),
        "now_dt": timezone.now(),
    }
    if clinic:

        def day_url(d: dt.date) -> str:
            return reverse("bookings_schedule") + "?" + urlencode({"clinic": clinic.pk, "date": d.isoformat()})

        context.update(
            schedule=clinic_day_schedule(clinic=clinic, day=day),
            prev_url=day_url(day - dt.timedelta(days=1)) if day > ScheduleForm.FIRST_DAY else None,
            next_url=day_url(day + dt.timedelta(days=1)) if day < ScheduleForm.LAST_DAY else None,
            today_url=day_url(today),
            add_url=reverse("admin:bookings_booking_add"),
        )
    return render(request, "admin/bookings/schedule.html", context)
