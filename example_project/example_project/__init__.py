"""A GP clinic that bills its appointments with django-carepay (the runnable demo)."""
