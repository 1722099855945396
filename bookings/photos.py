"""
Physiotherapists' photos at phone-friendly sizes. The copies are made once, when a
photo is saved (never in a request): JPEGs at a few widths, turned upright by their
EXIF orientation and stripped of EXIF (a phone photo can carry where it was taken).
"""

import io
import os

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from bookings.models import Physiotherapist

# Card (80 CSS px) and profile (up to 320 CSS px) at 1x and 2x screens.
WIDTHS = (160, 320, 640)
JPEG_QUALITY = 82


def widths_for(original_width: int) -> list[int]:
    """Return the widths a photo this wide is kept at: each standard width below it, and itself up to the largest."""
    return sorted({w for w in WIDTHS if w < original_width} | {min(original_width, WIDTHS[-1])})


def variant_name(name: str, width: int) -> str:
    stem, _ = os.path.splitext(name)
    return f"{stem}-{width}w.jpg"


def variants(physiotherapist: Physiotherapist) -> list[tuple[str, int]]:
    """Return (url, width) of each copy of the therapist's photo, smallest first; none without a photo."""
    if not physiotherapist.photo or not physiotherapist.photo_width:
        return []
    return [
        (default_storage.url(variant_name(physiotherapist.photo.name, width)), width)
        for width in widths_for(physiotherapist.photo_width)
    ]


def photo_variants_make(*, physiotherapist: Physiotherapist) -> list[str]:
    """
    Write the copies of the therapist's photo and record its upright size (what the
    page's width and height attributes say). Return the names written.
    """
    if not physiotherapist.photo:
        return []
    with physiotherapist.photo.open("rb") as original:
        image = ImageOps.exif_transpose(Image.open(original))
        image = image.convert("RGB")
    written = []
    for width in widths_for(image.width):
        height = round(image.height * width / image.width)
        copy = image.resize((width, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        name = variant_name(physiotherapist.photo.name, width)
        if default_storage.exists(name):
            default_storage.delete(name)
        written.append(default_storage.save(name, ContentFile(buffer.getvalue())))
    Physiotherapist.objects.filter(pk=physiotherapist.pk).update(photo_width=image.width, photo_height=image.height)
    physiotherapist.photo_width, physiotherapist.photo_height = image.width, image.height
    return written
