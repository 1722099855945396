from django.urls import path

from bookings import views

app_name = "bookings"

urlpatterns = [
    path("clinics/", views.clinic_list, name="clinic_list"),
    path("clinics/<slug:slug>/", views.clinic_detail, name="clinic_detail"),
    path("book/", views.book_choose_clinic, name="book"),
]
