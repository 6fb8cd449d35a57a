"""The one domain error raised by services, turned into form errors or JSON errors at the edge."""

from django.utils.functional import Promise


class ServiceError(Exception):
    """A refusal the user must read: ``message`` is translatable, ``field`` names the form
    field it belongs to (or None for the whole form), ``code`` is a stable slug for the API."""

    def __init__(self, message: str | Promise, *, code: str = "invalid", field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
