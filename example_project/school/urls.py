"""``path("school/", include("school.urls"))`` — namespace ``school``."""

from django.urls import path

from . import views

app_name = "school"

urlpatterns = [
    path("", views.cart, name="cart"),
    path("bookings/", views.bookings, name="bookings"),
]
