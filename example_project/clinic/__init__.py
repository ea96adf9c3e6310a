"""The clinic: appointments that are billed through django-carepay."""
