from http import HTTPStatus

import pytest
from django.test import Client

from dossiers.models import Firm
from users.models import User


@pytest.mark.django_db
def test_the_admin_is_for_superusers(firm: Firm) -> None:
    operator = User.objects.create_superuser("operator@platform.be", "Operator-Pass-1")
    client = Client()
    client.force_login(operator)
    assert client.get("/admin/dossiers/firm/").status_code == HTTPStatus.OK
    assert firm.name in client.get("/admin/dossiers/firm/").content.decode()
    assert client.get(f"/admin/dossiers/firm/{firm.pk}/change/").status_code == HTTPStatus.OK


def test_firm_staff_cannot_open_the_admin(licence_admin: User, auth_client) -> None:
    response = auth_client(licence_admin).get("/admin/dossiers/firm/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]
