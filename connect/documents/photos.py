"""Several photos of one invoice, taken with a phone, combined into one PDF."""

import io
from collections.abc import Iterable

import img2pdf
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from connect.documents.files import refuse
from core.errors import ServiceError


def photos_to_pdf(photos: Iterable[Iterable[bytes]], *, max_pixels: int) -> bytes:
    """One page per photo, in order. Each photo is re-encoded as JPEG (HEIC included) with its
    orientation applied; anything that is not an image is refused."""
    pages: list[bytes] = []
    for chunks in photos:
        raw = b"".join(chunks)
        try:
            with Image.open(io.BytesIO(raw)) as image:
                if image.width * image.height > max_pixels:
                    raise refuse(_("A photo has too many pixels."), "image_too_large")
                upright = ImageOps.exif_transpose(image).convert("RGB")
                out = io.BytesIO()
                upright.save(out, "JPEG", quality=85)
                pages.append(out.getvalue())
        except ServiceError:
            raise
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise refuse(
                _("Only photos can be combined into one PDF."), "combine_not_photo"
            ) from None
    if not pages:
        raise refuse(_("Choose the photos to combine."), "empty")
    return bytes(img2pdf.convert(pages))
