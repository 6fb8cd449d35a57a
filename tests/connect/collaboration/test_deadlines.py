"""Belgian fiscal deadlines: the table's dates, and the accountant generating them as tasks."""

from datetime import date
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from connect.collaboration.todos.services import deadlines_generate
from connect.deadlines import DEADLINES, RULES, deadlines_for
from connect.models import Task, TaskKind, TaskStatus
from core.errors import ServiceError
from dossiers.models import Dossier
from users.models import User


def dates_of(**kwargs) -> dict[str, date]:
    return {d.key: d.due_date for d in deadlines_for(**kwargs)}


def test_monthly_vat_returns_are_due_the_20th_of_the_next_month() -> None:
    due = dates_of(year=2026, vat="monthly", client_listing=False, annual_accounts=False)
    assert len(due) == 12
    assert due["vat-2026-01"] == date(2026, 2, 20)
    assert due["vat-2026-02"] == date(2026, 3, 20)
    assert due["vat-2026-12"] == date(2027, 1, 20)


def test_quarterly_vat_returns_are_due_the_25th_of_the_month_after_the_quarter() -> None:
    due = dates_of(year=2026, vat="quarterly", client_listing=False, annual_accounts=False)
    assert due == {
        "vat-2026-Q1": date(2026, 4, 25),
        "vat-2026-Q2": date(2026, 7, 25),
        "vat-2026-Q3": date(2026, 10, 25),
        "vat-2026-Q4": date(2027, 1, 25),
    }


def test_the_client_listing_is_due_31_march_of_the_next_year() -> None:
    assert dates_of(year=2026, vat=None, annual_accounts=False) == {
        "listing-2026": date(2027, 3, 31)
    }


@pytest.mark.parametrize(
    ("year_end", "due"),
    [
        (None, date(2027, 7, 31)),
        (date(2026, 12, 31), date(2027, 7, 31)),
        (date(2026, 6, 30), date(2027, 1, 31)),
        (date(2026, 2, 28), date(2026, 9, 30)),
        (date(2026, 3, 31), date(2026, 10, 31)),
        (date(2026, 7, 31), date(2027, 2, 28)),
        (date(2026, 3, 15), date(2026, 10, 15)),
    ],
)
def test_annual_accounts_are_due_7_months_after_the_year_end(
    year_end: date | None, due: date
) -> None:
    found = deadlines_for(year=2026, vat=None, client_listing=False, year_end=year_end)
    assert [d.due_date for d in found] == [due]
    assert found[0].key == f"accounts-{(year_end or date(2026, 12, 31)).isoformat()}"


def test_the_table_is_data_with_its_sources() -> None:
    assert {rule.code for rule in DEADLINES} == set(RULES)
    assert all(rule.source for rule in DEADLINES)
    assert (RULES["vat_monthly"].day, RULES["vat_quarterly"].day) == (20, 25)
    everything = deadlines_for(year=2026, vat="quarterly")
    assert [d.due_date for d in everything] == sorted(d.due_date for d in everything)
    assert len({d.key for d in everything}) == len(everything) == 6
    assert all(len(d.key) <= 40 and len(d.title) <= 200 for d in everything)


def test_the_accountant_generates_the_deadlines_once(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    with translation.override("en"):  # titles are written in the accountant's language
        added = deadlines_generate(actor=accountant, dossier=dossier, year=2026, vat="quarterly")
    assert added == 6
    tasks = list(Task.objects.filter(dossier=dossier))
    assert {t.kind for t in tasks} == {TaskKind.DEADLINE}
    assert {t.status for t in tasks} == {TaskStatus.OPEN}
    assert {t.created_by for t in tasks} == {accountant}
    q1 = next(t for t in tasks if t.deadline_key == "vat-2026-Q1")
    assert (q1.title, q1.due_date) == ("VAT return for Q1 2026", date(2026, 4, 25))
    # Someone edits one; generating again adds nothing and changes nothing.
    Task.objects.filter(pk=q1.pk).update(due_date=date(2026, 4, 27))
    assert deadlines_generate(actor=accountant, dossier=dossier, year=2026, vat="quarterly") == 0
    assert Task.objects.get(pk=q1.pk).due_date == date(2026, 4, 27)
    # The next year adds its own.
    assert deadlines_generate(actor=accountant, dossier=dossier, year=2027, vat="quarterly") == 6


def test_generating_refuses_mixed_frequencies_bad_input_and_the_client(
    dossier: Dossier, accountant: User, client_user: User
) -> None:
    deadlines_generate(
        actor=accountant,
        dossier=dossier,
        year=2026,
        vat="quarterly",
        client_listing=False,
        annual_accounts=False,
    )
    bad: list[dict] = [
        {"year": 2026, "vat": "monthly"},
        {"year": 1999, "vat": "monthly"},
        {"year": 2026, "vat": "weekly"},
        {"year": 2026, "vat": "monthly", "year_end": date(2025, 12, 31)},
        {"year": 2026, "vat": None, "client_listing": False, "annual_accounts": False},
    ]
    for kwargs in bad:
        with pytest.raises(ServiceError):
            deadlines_generate(actor=accountant, dossier=dossier, **kwargs)
    with pytest.raises(ServiceError) as refused:
        deadlines_generate(actor=client_user, dossier=dossier, year=2027, vat="monthly")
    assert refused.value.code == "forbidden"
    assert Task.objects.count() == 4


def test_the_deadlines_form(
    dossier: Dossier, accountant: User, client_user: User, auth_client
) -> None:
    User.objects.filter(pk=accountant.pk).update(language="en")
    url = reverse("connect:task_deadlines", args=[dossier.public_id])
    client = auth_client(accountant)
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert 'for="id_vat"' in page.content.decode()
    response = client.post(
        url,
        {
            "year": "2026",
            "vat": "monthly",
            "client_listing": "on",
            "year_end_month": "6",
            "assignee": str(client_user.public_id),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    keys = set(Task.objects.values_list("deadline_key", flat=True))
    assert len(keys) == 13 and "listing-2026" in keys and "vat-2026-12" in keys
    assert set(Task.objects.values_list("assignee", flat=True)) == {client_user.pk}
    listed = client.get(response["Location"])
    assert "13 deadlines were added." in listed.content.decode()
    # The financial year's end month drives the accounts deadline.
    client.post(
        url, {"year": "2026", "vat": "monthly", "annual_accounts": "on", "year_end_month": "6"}
    )
    accounts = Task.objects.get(deadline_key="accounts-2026-06-30")
    assert accounts.due_date == date(2027, 1, 31)
    # Switching frequency is refused next to the field.
    refused = client.post(url, {"year": "2026", "vat": "quarterly", "year_end_month": "12"})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "already planned monthly" in refused.content.decode()
    assert auth_client(client_user).post(url, {"year": "2027"}).status_code == 404
