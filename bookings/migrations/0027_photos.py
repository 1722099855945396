"""
Therapists' photos stored before this were kept as uploaded: EXIF with GPS and camera, XMP, text
chunks, anything appended after the image. The admin's form now stores a photo written afresh
(bookings.photos.photo_clean); the ones already stored are written afresh here, in place: the same
name and format, the pixels turned upright (as the recorded size and the copies already are), colours
into sRGB where a profile says how, and nothing else kept. The copies were made without EXIF already.
A file missing or unreadable is left as it is and named in the output.
"""

import contextlib
import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations
from PIL import Image, ImageCms, ImageOps

OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}


def rewrite(image: Image.Image) -> bytes:
    """Return the image's pixels, upright, encoded again in its own format with no metadata."""
    # A JPEG with more pictures after the first (a phone's gain map or depth map) opens as MPO.
    kind = "JPEG" if image.format == "MPO" else image.format
    profile = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if profile and image.mode in ("RGB", "CMYK"):
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image, io.BytesIO(profile), ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, kind, **OPTIONS.get(kind, {}))
    return buffer.getvalue()


def forwards(apps, schema_editor):
    Physiotherapist = apps.get_model("bookings", "Physiotherapist")
    for name in Physiotherapist.objects.exclude(photo="").values_list("photo", flat=True):
        try:
            with default_storage.open(name, "rb") as stored, Image.open(stored) as image:
                image.load()
                content = rewrite(image)
        except (OSError, SyntaxError, ValueError, KeyError, Image.DecompressionBombError) as error:
            print(f"\n  {name} left as it is: {error}")
            continue
        default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # a storage that would not reuse the name
            Physiotherapist.objects.filter(photo=name).update(photo=saved)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0026_handled_inbound")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
