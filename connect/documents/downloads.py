"""A stored file as an HTTP response: sent by the proxy or streamed by Django.

Behind the compose file's Caddy (deploy/Caddyfile) or nginx, with ``CONNECT_X_ACCEL_REDIRECT``
set (e.g. ``/_protected/``) and files on the local filesystem, the portal checks access and
answers headers only, with ``X-Accel-Redirect`` naming the file under that internal prefix; the
proxy sends the bytes from ``MEDIA_ROOT``, so no gunicorn worker is held by a slow download.
Otherwise (S3, or no proxy that knows the prefix) Django streams the file as before."""

import logging
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header

#: Bytes read per chunk when Django streams a file itself.
DOWNLOAD_BLOCK = 256 * 1024


logger = logging.getLogger(__name__)


def accelerated() -> bool:
    """Whether downloads are handed to the proxy."""
    return bool(settings.CONNECT_X_ACCEL_REDIRECT) and isinstance(
        default_storage, FileSystemStorage
    )


def stored_file_response(
    name: str,
    *,
    content_type: str,
    filename: str | None = None,
    as_attachment: bool = False,
    size: int | None = None,
) -> HttpResponseBase:
    """The stored file ``name`` with its type and, for an attachment, its download name. The
    caller adds its own headers (cache, CSP, checksums): the proxy sends them on."""
    if accelerated():
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.CONNECT_X_ACCEL_REDIRECT.rstrip("/") + quote(
            "/" + name
        )
        disposition = content_disposition_header(as_attachment, filename or "")
        if disposition:
            response["Content-Disposition"] = disposition
        return response
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:  # lost from the storage: said in the log, a 404 to the reader
        logger.warning("stored file %s missing from the storage", name)
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=filename or "",
        content_type=content_type,
    )
    if size is not None:
        response["Content-Length"] = str(size)
    response.block_size = DOWNLOAD_BLOCK
    return response
