from django.contrib import admin

from .models import Account, Plan, PlanPrice, Subscription


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "monthly_price", "currency", "credits", "position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlanPriceInline]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    can_delete = False
    fields = ["plan", "status", "invoice", "started_at"]
    readonly_fields = fields


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "plan", "status", "credits", "country", "created_at"]
    list_filter = ["status", "plan", "country"]
    search_fields = ["name", "owner__username", "owner__email"]
    list_select_related = ["owner", "plan"]
    raw_id_fields = ["owner"]
    # Status and credits follow the sign-up invoice (saas.receivers), never set by hand.
    readonly_fields = ["status", "credits"]
    inlines = [SubscriptionInline]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["account", "plan", "status", "invoice", "started_at"]
    list_filter = ["status", "plan"]
    list_select_related = ["account", "plan", "invoice"]
    readonly_fields = ["account", "plan", "status", "invoice", "started_at"]
