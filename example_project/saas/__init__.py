"""Riverside Cloud: a multi-tenant SaaS whose paid sign-ups are billed through carepay."""
