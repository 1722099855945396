from django.urls import path

from bookings.pages import payments, views

app_name = "bookings"

urlpatterns = [
    path("clinics/", views.clinic_list, name="clinic_list"),
    path("clinics/<slug:slug>/", views.clinic_detail, name="clinic_detail"),
    path("physiotherapists/", views.physio_list, name="physio_list"),
    path("physiotherapists/<slug:slug>/", views.physio_detail, name="physio_detail"),
    path("book/", views.book_choose_clinic, name="book"),
    path("book/slot/<int:slot_id>/", views.book_slot, name="book_slot"),
    path("book/<slug:clinic_slug>/", views.book_clinic, name="book_clinic"),
    path("waitlist/<slug:clinic_slug>/", views.waitlist_join, name="waitlist_join"),
    path("booking/<str:token>/", views.manage, name="manage"),
    path("booking/<str:token>/calendar.ics", views.manage_ics, name="manage_ics"),
    path("booking/<str:token>/next/<int:slot_id>/", views.manage_next, name="manage_next"),
    path("booking/<str:token>/claim/", views.manage_claim, name="manage_claim"),
    path("booking/<str:token>/pay/", payments.manage_pay, name="manage_pay"),
    path("payments/<slug:provider>/return/", payments.payment_return, name="payment_return"),
    path("payments/<slug:provider>/notify/", payments.payment_notification, name="payment_notification"),
    path("booking/<str:token>/decline/", views.manage_decline, name="manage_decline"),
    path("booking/<str:token>/cancel/", views.manage_cancel, name="manage_cancel"),
    path("booking/<str:token>/language/", views.manage_language, name="manage_language"),
    path("booking/<str:token>/move/", views.manage_move, name="manage_move"),
    path("booking/<str:token>/move/<int:slot_id>/", views.manage_move_to, name="manage_move_to"),
]
