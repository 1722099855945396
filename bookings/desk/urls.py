"""The front desk's own pages inside the admin (bookings/desk/views.py), behind the admin's login."""

from django.contrib import admin
from django.urls import path

from bookings.desk import reports, takings, views

urlpatterns = [
    path("schedule/", admin.site.admin_view(views.schedule), name="bookings_schedule"),
    path("schedule/week/", admin.site.admin_view(views.schedule_week), name="bookings_schedule_week"),
    path(
        "schedule/booking/<int:booking_id>/",
        admin.site.admin_view(views.schedule_act),
        name="bookings_schedule_act",
    ),
    path("reports/", admin.site.admin_view(reports.reports), name="bookings_reports"),
    path("takings/", admin.site.admin_view(takings.takings), name="bookings_takings"),
    path("desk/book/", admin.site.admin_view(views.booking_add), name="bookings_booking_add"),
    path("desk/course/", admin.site.admin_view(views.course_add), name="bookings_course_add"),
    path(
        "desk/booking/<int:booking_id>/move/",
        admin.site.admin_view(views.booking_move),
        name="bookings_booking_move",
    ),
    path("desk/patient-lookup/", admin.site.admin_view(views.patient_lookup), name="bookings_patient_lookup"),
    path(
        "desk/affected/<str:kind>/<int:pk>/",
        admin.site.admin_view(views.affected_bookings),
        name="bookings_affected",
    ),
    path(
        "desk/therapist/<int:physio_id>/hours/",
        admin.site.admin_view(views.weekly_hours),
        name="bookings_weekly_hours",
    ),
]
