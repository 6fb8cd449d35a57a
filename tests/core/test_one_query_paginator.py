"""Numbered pages in one query (core.pagination.OneQueryPaginator): the same pages as Django's
Paginator, each read with its total in one query."""

import pytest
from django.core.paginator import Paginator

from core.pagination import OneQueryPaginator
from dossiers.models import Dossier, Firm
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", [None, "", "x", "1", "2", "3", "4", "99", "0", "-1", "2.0"])
def test_the_pages_are_djangos_pages(firm: Firm, number: object) -> None:
    DossierFactory.create_batch(7, firm=firm)
    dossiers = Dossier.objects.filter(firm=firm).order_by("code")
    ours = OneQueryPaginator(dossiers, 3).get_page(number)
    theirs = Paginator(dossiers, 3).get_page(number)
    assert (ours.number, list(ours.object_list)) == (theirs.number, list(theirs.object_list))
    assert (ours.paginator.count, ours.paginator.num_pages) == (7, 3)
    assert (ours.has_next(), ours.has_previous()) == (theirs.has_next(), theirs.has_previous())


def test_a_page_and_its_total_are_one_query(firm: Firm, django_assert_num_queries) -> None:
    DossierFactory.create_batch(5, firm=firm)
    dossiers = Dossier.objects.filter(firm=firm).order_by("code")
    with django_assert_num_queries(1):
        page = OneQueryPaginator(dossiers, 2).get_page("2")
        assert (len(page.object_list), page.paginator.count, page.paginator.num_pages) == (2, 5, 3)


def test_an_empty_list_is_one_empty_page_in_one_query(
    firm: Firm, django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        page = OneQueryPaginator(Dossier.objects.filter(firm=firm).order_by("code"), 2).get_page(1)
        assert (list(page.object_list), page.paginator.count, page.number) == ([], 0, 1)


def test_a_page_past_the_end_is_the_last_page(firm: Firm) -> None:
    DossierFactory.create_batch(5, firm=firm)
    dossiers = Dossier.objects.filter(firm=firm).order_by("code")
    page = OneQueryPaginator(dossiers, 2).get_page("9")
    assert (page.number, [d.code for d in page.object_list]) == (3, [dossiers.last().code])
