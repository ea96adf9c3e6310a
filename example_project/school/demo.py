"""The music school's demo data, shared by ``manage.py seed_school`` and the tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_noop

from clinic.demo import DEMO_PASSWORD

from .models import Course, Lesson, Teacher, Workshop

STUDENT = {"username": "student1", "first_name": "Sam", "last_name": "Rivera",
           "email": "sam.rivera@example.com"}
# Instruments are marked for translation: a lesson's name says its instrument in the
# reader's language (school.models.Lesson.__str__).
TEACHERS = [("Clara Wieck", "clara.wieck@example.com", gettext_noop("Piano")),
            ("Django Reinhardt", "django.reinhardt@example.com", gettext_noop("Guitar"))]
WORKSHOPS = [("Jazz improvisation weekend", 12, "45.00", 12),
             ("Choir day", 19, "25.00", 30)]
COURSES = [("Music theory, grade 5", 10, "180.00"), ("Sight-reading for adults", 6, "95.00")]


def ensure_school() -> dict[str, int]:
    """Create what is missing (safe to run again); return how many of each exist."""
    student, created = get_user_model().objects.get_or_create(
        username=STUDENT["username"],
        defaults={k: v for k, v in STUDENT.items() if k != "username"})
    if created:
        student.set_password(DEMO_PASSWORD)
        student.save()
    today = timezone.localdate()
    for name, email, instrument in TEACHERS:
        teacher, _ = Teacher.objects.get_or_create(
            name=name, defaults={"email": email, "instrument": instrument})
        if not teacher.lessons.exists():
            for day, hour in ((2, 10), (2, 11), (4, 16)):
                Lesson.objects.create(
                    teacher=teacher, price=Decimal("38.00"),
                    starts_at=timezone.make_aware(datetime.combine(
                        today + timedelta(days=day), time(hour))))
    for title, days, price, capacity in WORKSHOPS:
        Workshop.objects.get_or_create(title=title, defaults={
            "date": today + timedelta(days=days), "price": Decimal(price),
            "capacity": capacity})
    for title, weeks, price in COURSES:
        Course.objects.get_or_create(title=title, defaults={"weeks": weeks,
                                                            "price": Decimal(price)})
    return {"teachers": Teacher.objects.count(), "lessons": Lesson.objects.count(),
            "workshops": Workshop.objects.count(), "courses": Course.objects.count()}
