"""The clinic's home page."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_carepay.models import Invoice

from riverside.sites import CLINIC, site_for_user

from .models import Appointment


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A patient's appointments with their invoices; staff's way into the console.

    Someone who belongs to another site (a Riverside Cloud customer) is sent to their
    own home rather than told they have no appointments."""
    site = site_for_user(request.user)
    if site is not CLINIC:
        return redirect(site.home_url())
    context: dict[str, object] = {}
    if request.user.is_staff:
        # The console's pages this member of staff may open, as the header lists them.
        context["console"] = [item for item in CLINIC.nav_for(request)
                              if item["url"] != request.path]
    else:
        appointments = list(Appointment.objects.filter(patient=request.user))
        # One query for every appointment's invoices; drafts are not the patient's yet.
        invoices = (
            Invoice.objects
            .filter(subject_content_type=ContentType.objects.get_for_model(Appointment),
                    subject_object_id__in=[str(a.pk) for a in appointments])
            .exclude(status=Invoice.Status.DRAFT)
            .order_by("issued_at", "id")
        )
        by_appointment = {invoice.subject_object_id: invoice for invoice in invoices}
        context["appointments"] = [
            (appointment, by_appointment.get(str(appointment.pk)))
            for appointment in appointments
        ]
    return render(request, "clinic/home.html", context)
