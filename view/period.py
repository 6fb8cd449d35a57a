"""View: the period a dossier's dashboard covers (both days included), its months and quarters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included (validated by ``PeriodForm``)."""

    start: date
    end: date

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        """The last 12 months: this month and the 11 before, whole."""
        today = today or timezone.localdate()
        this_month = date(today.year, today.month, 1)
        return cls(add_months(this_month, -11), add_months(this_month, 1) - timedelta(days=1))

    @classmethod
    def of_month(cls, month: date) -> Period:
        """The whole month of ``month`` (its first day)."""
        return cls(month, add_months(month, 1) - timedelta(days=1))

    def moments(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes, the end excluded (for indexed datetime columns)."""
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def months(self) -> list[date]:
        first, months = date(self.start.year, self.start.month, 1), []
        while first <= self.end:
            months.append(first)
            first = add_months(first, 1)
        return months

    def quarters(self) -> list[date]:
        starts = (date(m.year, (m.month - 1) // 3 * 3 + 1, 1) for m in self.months())
        return list(dict.fromkeys(starts))

    def as_query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}
