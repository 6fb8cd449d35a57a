import pytest
from django.db import IntegrityError, transaction

from users.models import User


@pytest.mark.django_db
def test_winbooks_id_is_stored_lower_case_and_unique_whatever_the_case() -> None:
    user = User.objects.create_user("  Marie.Dubois@Example.BE ", "Correct-Horse-42")
    assert user.email == "marie.dubois@example.be"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("MARIE.DUBOIS@example.be")
    assert User.objects.get_by_natural_key("Marie.DUBOIS@example.be") == user


@pytest.mark.django_db
def test_database_refuses_an_upper_case_email_written_around_the_manager() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Upper@Example.be")])


@pytest.mark.django_db
def test_new_user_defaults_to_french_and_has_no_usable_password() -> None:
    user = User.objects.create_user("nouveau@example.be")
    assert user.language == "fr"
    assert user.is_active
    assert not user.has_usable_password()
    assert not user.is_staff
