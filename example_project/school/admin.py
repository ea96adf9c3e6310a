"""The school's items in the admin; a paid workshop seat can be refunded on its own."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_carepay.exceptions import CarepayError

from .billing import refund_seat
from .models import Course, Enrollment, Lesson, Teacher, Workshop, WorkshopSeat


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ("name", "instrument", "email")


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "teacher", "student", "price", "status")
    list_filter = ("status", "teacher")


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ("title", "date", "price", "capacity")


@admin.register(WorkshopSeat)
class WorkshopSeatAdmin(admin.ModelAdmin):
    list_display = ("__str__", "student", "status")
    list_filter = ("status", "workshop")
    actions = ["refund_seats"]

    @admin.action(description="Refund the selected paid seats (each its line's amount)",
                  permissions=["change"])
    def refund_seats(self, request: HttpRequest, queryset: QuerySet[WorkshopSeat]) -> Any:
        for seat in queryset.filter(status=WorkshopSeat.Status.PAID):
            try:
                refund = refund_seat(seat, by=request.user)
            except CarepayError as exc:
                messages.error(request, f"{seat}: {exc}")
            else:
                messages.success(request, f"{seat}: refunded {refund.amount} "
                                          f"{refund.currency}.")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "weeks", "price")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("course", "student", "status")
