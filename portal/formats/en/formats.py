"""English as written in Belgium and the rest of Europe: day before month, a 24-hour clock
(Django's "en" is American: 12/02/2026 would read as 2 December to nobody here)."""

from django.conf.locale.en_GB.formats import *  # noqa: F403

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
