"""The fact keys are declared once (connect/facts.py); what names them per fact follows it."""

from connect.documents.forms import ReviewForm
from connect.documents.services.review import REVIEW_FACTS
from connect.documents.words import FACT_LABELS
from connect.facts import FACT_KEYS
from connect.recognition import FACT_KEYS as RECOGNISED_KEYS


def test_every_list_of_facts_follows_the_one_declaration():
    assert RECOGNISED_KEYS is FACT_KEYS
    assert tuple(FACT_LABELS) == FACT_KEYS
    assert tuple(REVIEW_FACTS) == FACT_KEYS
    assert tuple(ReviewForm.base_fields) == FACT_KEYS
