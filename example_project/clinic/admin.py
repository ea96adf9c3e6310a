from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "patient", "clinician", "reason", "fee", "status"]
    list_filter = ["status", "clinician"]
    search_fields = ["patient__username", "patient__first_name", "patient__last_name",
                     "clinician", "reason"]
    date_hierarchy = "starts_at"
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]
    # Payment status follows the invoice (clinic.receivers); staff never set it by hand.
    readonly_fields = ["status"]
