"""The admin's action framework: run a service on the selected objects, ask first, report.

Every change goes through :mod:`django_carepay.services`, whose refusals (a
:class:`~django_carepay.exceptions.CarepayError`) are shown and change nothing;
who may act is asked of :mod:`django_carepay.permissions`. A form about one invoice's
money (record a payment, refund) acts once per form shown (:func:`act_once`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import permissions, services
from ..exceptions import CarepayError, ChangedMeanwhile, InvalidAmount
from ..models import Invoice

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def has_model_perm(request: HttpRequest, model: type[models.Model], action: str) -> bool:
    """May the user ``action`` (``"view"``, ``"add"``, ``"change"``, ``"delete"``) ``model``?"""
    return permissions.has_model_permission(request.user, model, action)


def apply_to_each(model_admin: admin.ModelAdmin, request: HttpRequest, objects: Iterable[M],
                  apply: Callable[[M], object], *, success: Callable[[list[M]], str],
                  describe: Callable[[M], str] | None = None) -> None:
    """Call ``apply(obj)`` (a service) for each object and report the outcome.

    A refusal is reported for its object and the others go on: each service runs in
    its own transaction, so one refusal changes nothing and undoes nothing else.
    ``describe`` prefixes the error with the object, for services whose messages do
    not name it.
    """
    done: list[M] = []
    for obj in objects:
        try:
            apply(obj)
        except CarepayError as exc:
            text = f"{describe(obj)}: {exc}" if describe else str(exc)
            model_admin.message_user(request, text, messages.ERROR)
        else:
            done.append(obj)
    if done:
        model_admin.message_user(request, success(done), messages.SUCCESS)


def render_form_page(model_admin: admin.ModelAdmin, request: HttpRequest, form: forms.Form, *,
                     template: str, default_template: str, title: str, submit_label: str,
                     **context: Any) -> TemplateResponse:
    """Render one of carepay's admin form pages in the admin's layout.

    Looks up ``admin/<app>/<model>/<template>`` before ``default_template``, so a host
    can override the page of one model.
    """
    opts = model_admin.opts
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, [
        f"admin/{opts.app_label}/{opts.model_name}/{template}", default_template,
    ], {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "form": form,
        # AdminForm takes any form (the stubs say ModelForm; UserAdmin passes a Form too).
        "adminform": helpers.AdminForm(
            form, [(None, {"fields": list(form.fields)})], {}),  # type: ignore[arg-type]
        "submit_label": submit_label,
        **context,
    })



def confirm_with_reason(model_admin: admin.ModelAdmin, request: HttpRequest,
                        queryset: models.QuerySet[M], *, form_class: type[forms.Form],
                        action: str, title: str, question: str, submit_label: str,
                        apply: Callable[[M, str], object], success: Callable[[list[M]], str],
                        describe: Callable[[M], str],
                        describe_errors: bool) -> TemplateResponse | None:
    """An action that asks for confirmation and a reason first, like ``delete_selected``.

    The first POST (from the change list) lists the selected objects (``describe``)
    and shows ``form_class`` (a form with a ``reason`` field); the second
    (``post=yes``) calls ``apply(obj, reason)`` for each object through
    :func:`apply_to_each` (``describe_errors``: prefix refusals with the description).
    """
    form = form_class(request.POST if request.POST.get("post") else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"].strip()
        apply_to_each(model_admin, request, queryset, lambda obj: apply(obj, reason),
                      success=success, describe=describe if describe_errors else None)
        return None
    return render_form_page(
        model_admin, request, form, template="action_confirmation.html",
        default_template="admin/carepay/action_confirmation.html", title=title,
        submit_label=submit_label, question=question,
        descriptions=[describe(obj) for obj in queryset], queryset=queryset, action=action,
        action_checkbox_name=helpers.ACTION_CHECKBOX_NAME,
    )


def act_once(model_admin: admin.ModelAdmin, request: HttpRequest, invoice: Invoice,
             form: forms.Form, call: Callable[[dict[str, Any]], T], *, back_to: str,
             done: Callable[[T], None], backend: str = "",
             refused: Callable[[forms.Form, CarepayError], None] | None = None,
             ) -> HttpResponse | None:
    """Run ``call(cleaned_data)`` (a service on ``invoice``) once per form shown.

    ``form`` carries the invoice's version as the page showed it (an
    :class:`~django_carepay.forms.actions.InvoiceVersionForm`), and the service runs
    under :func:`~django_carepay.services.act_if_unchanged`, as the staff console's
    actions do: a form sent twice (a double click, a reloaded POST, a second tab), or
    after someone else changed the invoice, does nothing the second time. ``backend``
    bounds the wait for the invoice's lock as that backend's services do.

    Returns the redirect to ``back_to``, after ``done(result)`` said what was done or
    with the "changed meanwhile" refusal; or ``None`` to show the form again: it is
    unbound or invalid, or the service refused, and ``refused(form, exc)`` (default: the
    message next to the amount, or on top) put the refusal on it.
    """
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        result = services.act_if_unchanged(invoice, data["version"], lambda: call(data),
                                           backend=backend)
    except ChangedMeanwhile as exc:
        # Back to the object as it now is, not to the form: a form shown again with a
        # fresh version would invite the very click that just sent it twice.
        model_admin.message_user(request, str(exc), messages.ERROR)
        return HttpResponseRedirect(back_to)
    except CarepayError as exc:
        if refused is None:
            form.add_error(amount_error_field(exc), str(exc))
        else:
            refused(form, exc)
        return None
    done(result)
    return HttpResponseRedirect(back_to)


def change_page_url(model_admin: admin.ModelAdmin, obj: models.Model) -> str:
    """The admin page of ``obj``, where a custom view goes back to."""
    opts = model_admin.opts
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk],
                   current_app=model_admin.admin_site.name)


def amount_error_field(exc: CarepayError) -> str | None:
    """Put an amount the service refused next to the amount field; the rest on top."""
    return "amount" if isinstance(exc, InvalidAmount) else None


class StaffPermissionsMixin:
    """The ``has_<name>_permission`` hooks the admin asks for ``@admin.action(permissions=
    [<name>])`` and carepay's own views, answered by :mod:`django_carepay.permissions`."""

    def has_record_payment_permission(self, request: HttpRequest) -> bool:
        return permissions.can_record_payment(request.user)

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return permissions.can_approve(request.user)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return permissions.can_refund(request.user)

    def has_void_permission(self, request: HttpRequest) -> bool:
        return permissions.can_void(request.user)
