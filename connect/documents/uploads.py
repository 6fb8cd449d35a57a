"""Upload handling: every file goes straight to a temporary file on disk (memory stays flat),
and an upload past the size limit is cut off while it arrives instead of filling the disk."""

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        # A little slack over the limit so that the receive service can tell the user the
        # file is too large (it reads the real size); past that the upload is stopped.
        if self.received > settings.CONNECT_MAX_UPLOAD_SIZE + 1024 * 1024:
            self.file.close()
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
