import pytest


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("reception", password="pw", is_staff=True)
