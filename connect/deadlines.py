"""Belgian fiscal deadlines of a client company, as data: one row per kind of deadline.

The table below is the only place where these dates are written; ``deadlines_for`` turns it
into the dated deadlines of one year, which
``connect.collaboration.todos.services.deadlines_generate`` records as tasks of a dossier.
Sources and open questions are kept in ``docs/deadlines.md``. At connect's root, below the models
(the Task model words a generated deadline with it) and the features: it imports nothing of connect.

Sources (checked for the rules in force in 2026):

- **Periodic VAT return** (déclaration périodique / periodieke btw-aangifte), SPF Finances,
  "Déclaration périodique" (finances.belgium.be › Entreprises › TVA › Déclaration), and
  circular 2025/C/6 of 27 January 2025 on the modernisation of the VAT chain (law of
  12 March 2023, in force 1 January 2025 after the royal decree of 17 December 2023; the
  dates are in royal decree no. 1, as amended by the royal decree of 29 September 2024; first
  applied to the returns of December 2024 / Q4 2024):

  * monthly filers: filing **and** payment by the **20th** day of the month after the month
    (unchanged);
  * quarterly filers: filing **and** payment by the **25th** day of the month after the
    quarter (was the 20th until the return of Q3 2024).

  Not modelled, and why (an accountant moves a task's date by editing it):

  * a deadline on a Saturday, Sunday or public holiday: the circular kept, as a tolerance,
    the shift to the next working day for monthly returns, and for quarterly returns only
    until 30 September 2025; the table gives the statutory day, never later;
  * the "summer regime" (June / Q2 and July returns filed later) is an administrative
    tolerance renewed year by year (announced for 2025 "and possibly later"): uncertain
    for 2026, so not assumed;
  * the December advance payment (acompte, by 24 December) and the European sales list
    (relevé intracommunautaire, same dates as the return) are not generated.

  Uncertainty: the SPF Finances pages could not be consulted live when this table was
  written (2026); the 20th/25th rule is taken from the circular as summarised by several
  firms (RSM, Deloitte Tax@hand, BofiDi, January–February 2025), and no later change was
  found. Check the SPF's "calendrier TVA" each year before trusting a generated date.

- **Annual client listing** (liste annuelle des clients assujettis / jaarlijkse
  klantenlisting), SPF Finances, "Liste annuelle des clients assujettis": filed by 31 March
  of the year after the calendar year it covers (a small business under the franchise regime
  with an empty listing is exempt — the accountant leaves that deadline out).

- **Annual accounts** (comptes annuels / jaarrekening), National Bank of Belgium, Central
  Balance Sheet Office, "Term of approval and payment": filed within 30 days of their
  approval and **at the latest 7 months after the end of the financial year** (Code of
  companies and associations, art. 3:10). Sole traders and small non-profits do not file
  there — the accountant leaves that deadline out.
"""

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from django.conf import settings
from django.utils import dates, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Period(StrEnum):
    """What one deadline covers."""

    MONTH = "month"
    QUARTER = "quarter"
    CALENDAR_YEAR = "calendar_year"
    #: The financial year ending on the given year-end date (default 31 December).
    FINANCIAL_YEAR = "financial_year"


class VatFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class DeadlineRule:
    """One row of the table: a deadline falls ``months_after`` months after the end of the
    period it covers, on ``day`` of that month (None: the same day as the period's end, the
    last day of the month when the period ends on a month's last day); a day past the end
    of a short month is that month's last day."""

    code: str
    period: Period
    months_after: int
    day: int | None
    #: The task's title; formatted with ``period`` (a label such as "March 2026", "Q1 2026",
    #: "2026" or the year-end date).
    title: Promise
    description: Promise
    source: str


VAT_MONTHLY = "vat_monthly"
VAT_QUARTERLY = "vat_quarterly"
CLIENT_LISTING = "client_listing"
ANNUAL_ACCOUNTS = "annual_accounts"

SPF_VAT = (
    "SPF Finances, Déclaration périodique TVA; circular 2025/C/6 (27 January 2025): monthly "
    "by the 20th, quarterly by the 25th of the following month"
)

#: The table. Keep the sources in docs/deadlines.md in step with it.
DEADLINES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        code=VAT_MONTHLY,
        period=Period.MONTH,
        months_after=1,
        day=20,
        title=_("VAT return for %(period)s"),
        description=_("Filing of the periodic VAT return and payment of the VAT due."),
        source=SPF_VAT,
    ),
    DeadlineRule(
        code=VAT_QUARTERLY,
        period=Period.QUARTER,
        months_after=1,
        day=25,
        title=_("VAT return for %(period)s"),
        description=_("Filing of the periodic VAT return and payment of the VAT due."),
        source=SPF_VAT,
    ),
    DeadlineRule(
        code=CLIENT_LISTING,
        period=Period.CALENDAR_YEAR,
        months_after=3,
        day=31,
        title=_("Annual client listing for %(period)s"),
        description=_(
            "Filing of the annual list of Belgian VAT-registered customers (more than 250 "
            "euros excluding VAT in the year)."
        ),
        source="SPF Finances, Liste annuelle des clients assujettis: by 31 March",
    ),
    DeadlineRule(
        code=ANNUAL_ACCOUNTS,
        period=Period.FINANCIAL_YEAR,
        months_after=7,
        day=None,
        title=_("Annual accounts of the financial year ending %(period)s"),
        description=_(
            "Filing of the annual accounts with the National Bank of Belgium, within 30 days "
            "of their approval and at the latest 7 months after the end of the financial year."
        ),
        source="National Bank of Belgium, Central Balance Sheet Office; CCA art. 3:10",
    ),
)
RULES = {rule.code: rule for rule in DEADLINES}


@dataclass(frozen=True)
class Deadline:
    """One dated deadline of one year, ready to become a task."""

    code: str
    #: Stable per dossier ("vat-2026-03", "vat-2026-Q1", "listing-2026", "accounts-2026-12-31"):
    #: generating twice adds nothing.
    key: str
    title: str
    description: str
    due_date: date


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _add_months(end: date, months: int, day: int | None) -> date:
    index = end.month - 1 + months
    year, month = end.year + index // 12, index % 12 + 1
    last = _last_day(year, month)
    if day is None:
        day = last if end.day == _last_day(end.year, end.month) else end.day
    return date(year, month, min(day, last))


def due_date_for(rule: DeadlineRule, period_end: date) -> date:
    return _add_months(period_end, rule.months_after, rule.day)


def _label(period: Period, when: date) -> str:
    """The period's name in the active language ("March 2026", "Q1 2026", "2026", or the
    financial year's last day); ``when`` is a day of the period's last month (its last day for
    a financial year)."""
    if period == Period.MONTH:
        return f"{dates.MONTHS[when.month]} {when.year}"
    if period == Period.QUARTER:
        return gettext("Q%(quarter)d %(year)d") % {
            "quarter": (when.month - 1) // 3 + 1,
            "year": when.year,
        }
    if period == Period.CALENDAR_YEAR:
        return str(when.year)
    return date_format(when, "DATE_FORMAT")


def _periods(rule: DeadlineRule, year: int, year_end: date) -> list[tuple[str, date]]:
    """(key suffix, a day of the last month) of each period of ``year`` the rule covers."""
    if rule.period == Period.MONTH:
        return [(f"{year}-{month:02d}", date(year, month, 1)) for month in range(1, 13)]
    if rule.period == Period.QUARTER:
        return [(f"{year}-Q{quarter}", date(year, quarter * 3, 1)) for quarter in range(1, 5)]
    if rule.period == Period.CALENDAR_YEAR:
        return [(str(year), date(year, 12, 31))]
    return [(year_end.isoformat(), year_end)]


def _period_end(rule: DeadlineRule, start_or_end: date) -> date:
    if rule.period in (Period.MONTH, Period.QUARTER):
        return start_or_end.replace(day=_last_day(start_or_end.year, start_or_end.month))
    return start_or_end


KEY_PREFIX = {
    VAT_MONTHLY: "vat",
    VAT_QUARTERLY: "vat",
    CLIENT_LISTING: "listing",
    ANNUAL_ACCOUNTS: "accounts",
}


def deadlines_for(
    *,
    year: int,
    vat: VatFrequency | str | None,
    client_listing: bool = True,
    annual_accounts: bool = True,
    year_end: date | None = None,
) -> list[Deadline]:
    """The deadlines of ``year``: the VAT returns of its months or quarters (the last one due
    in January of the next year), the client listing of the year, and the annual accounts of
    the financial year ending on ``year_end`` (default 31 December of ``year``). Titles are
    in the active language (a stored task is worded again for its reader by
    ``deadline_wording``). Sorted by due date."""
    year_end = year_end or date(year, 12, 31)
    codes: list[str] = []
    if vat:
        codes.append(VAT_MONTHLY if VatFrequency(vat) == VatFrequency.MONTHLY else VAT_QUARTERLY)
    if client_listing:
        codes.append(CLIENT_LISTING)
    if annual_accounts:
        codes.append(ANNUAL_ACCOUNTS)
    found: list[Deadline] = []
    for code in codes:
        rule = RULES[code]
        for suffix, when in _periods(rule, year, year_end):
            found.append(_deadline(rule, f"{KEY_PREFIX[code]}-{suffix}", when))
    return sorted(found, key=lambda d: (d.due_date, d.key))


def _deadline(rule: DeadlineRule, key: str, when: date) -> Deadline:
    return Deadline(
        code=rule.code,
        key=key,
        title=str(rule.title) % {"period": _label(rule.period, when)},
        description=str(rule.description),
        due_date=due_date_for(rule, _period_end(rule, when)),
    )


KEY_PATTERNS = (
    (re.compile(r"vat-(\d{4})-(\d{2})"), VAT_MONTHLY),
    (re.compile(r"vat-(\d{4})-Q([1-4])"), VAT_QUARTERLY),
    (re.compile(r"listing-(\d{4})"), CLIENT_LISTING),
    (re.compile(r"accounts-(\d{4})-(\d{2})-(\d{2})"), ANNUAL_ACCOUNTS),
)


def deadline_for_key(key: str) -> Deadline | None:
    """The deadline a stored key stands for, worded in the active language (None: not a key
    this table makes)."""
    for pattern, code in KEY_PATTERNS:
        match = pattern.fullmatch(key or "")
        if match is None:
            continue
        numbers = [int(group) for group in match.groups()]
        try:
            if code == VAT_MONTHLY:
                when = date(numbers[0], numbers[1], 1)
            elif code == VAT_QUARTERLY:
                when = date(numbers[0], numbers[1] * 3, 1)
            elif code == CLIENT_LISTING:
                when = date(numbers[0], 12, 31)
            else:
                when = date(numbers[0], numbers[1], numbers[2])
        except ValueError:
            return None
        return _deadline(RULES[code], key, when)
    return None


@functools.cache
def _generated(key: str) -> tuple[frozenset[str], frozenset[str]]:
    """Every title and description the key was ever generated with, in any of the portal's
    languages (a task keeps the language of whoever generated it)."""
    titles: set[str] = set()
    descriptions: set[str] = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            deadline = deadline_for_key(key)
        if deadline is not None:
            titles.add(deadline.title)
            descriptions.add(deadline.description)
    return frozenset(titles), frozenset(descriptions)


def deadline_wording(*, key: str, title: str, description: str) -> tuple[str, str]:
    """The title and description of a task as its reader's language writes them: a generated
    deadline's own wording is shown in the active language; what the accountant wrote
    instead is shown as written."""
    deadline = deadline_for_key(key) if key else None
    if deadline is None:
        return title, description
    titles, descriptions = _generated(key)
    return (
        deadline.title if title in titles else title,
        deadline.description if description in descriptions else description,
    )


def vat_keys(year: int, frequency: VatFrequency | str) -> set[str]:
    """The VAT deadline keys of ``year`` for one filing frequency."""
    return {
        d.key
        for d in deadlines_for(
            year=year, vat=frequency, client_listing=False, annual_accounts=False
        )
    }
