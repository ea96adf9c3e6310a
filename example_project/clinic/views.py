"""The clinic's home page."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_carepay.models import Invoice

from .demo import ACCOUNTS, DEMO_PASSWORD
from .models import Appointment


def home(request: HttpRequest) -> HttpResponse:
    """Who to log in as (anonymous), my appointments (patients), the admin (staff)."""
    context: dict[str, object] = {}
    if not request.user.is_authenticated:
        # The demo logins are for a local demo only, never a deployed site.
        if settings.DEBUG:
            context.update(accounts=ACCOUNTS, demo_password=DEMO_PASSWORD)
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
