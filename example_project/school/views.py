"""The student's pages: the cart (pick lessons, workshop seats, courses → pay), and
my bookings (each item's status, as its own domain keeps it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .billing import CHECKOUT_ALIAS, CartError, check_out
from .models import Course, Enrollment, Lesson, Workshop, WorkshopSeat

#: At most this many seats of one workshop in one cart.
MAX_SEATS = 4


@login_required
@require_http_methods(["GET", "POST"])
def cart(request: HttpRequest) -> HttpResponse:
    """Pick items; "Pay" reserves them, issues one invoice, and goes to Checkout."""
    lessons = Lesson.objects.filter(status=Lesson.Status.OPEN).select_related("teacher")
    workshops = list(Workshop.objects.all())
    courses = Course.objects.all()
    if request.method == "POST":
        try:
            seats = {w: int(request.POST.get(f"seats-{w.pk}") or 0) for w in workshops}
            if any(not 0 <= n <= MAX_SEATS for n in seats.values()):
                raise CartError(f"Choose between 0 and {MAX_SEATS} seats per workshop.")
            invoice = check_out(
                request.user,
                lessons=lessons.filter(pk__in=request.POST.getlist("lesson")),
                seats=seats,
                courses=courses.filter(pk__in=request.POST.getlist("course")))
        except (CartError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            return redirect("carepay:pay", public_id=invoice.public_id, alias=CHECKOUT_ALIAS)
    return render(request, "school/cart.html", {
        "lessons": lessons, "workshops": workshops, "courses": courses,
        "seat_choices": range(MAX_SEATS + 1),
    })


@login_required
@require_GET
def bookings(request: HttpRequest) -> HttpResponse:
    """What the student booked, each item with the status its own domain gives it."""
    return render(request, "school/bookings.html", {
        "lessons": Lesson.objects.filter(student=request.user).select_related("teacher"),
        "seats": WorkshopSeat.objects.filter(student=request.user).select_related("workshop"),
        "enrollments": Enrollment.objects.filter(student=request.user)
        .select_related("course"),
    })
