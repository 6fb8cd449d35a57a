"""Connect's words from the reader's side in templates: ``{% load connect_words %}``, then
``{% tab_label name section is_entrepreneur %}`` and
``{% status_label document is_entrepreneur %}``."""

from typing import Any

from django import template

from connect.documents import words

register = template.Library()


@register.simple_tag
def tab_label(name: str, section: str, is_entrepreneur: Any) -> str:
    return words.tab_label(name, section=section, for_client=bool(is_entrepreneur))


@register.simple_tag
def status_label(document: Any, is_entrepreneur: Any) -> str:
    return words.status_label(document.status, for_client=bool(is_entrepreneur))
