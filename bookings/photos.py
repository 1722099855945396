"""
Physiotherapists' photos at phone-friendly sizes. An upload is checked and re-encoded
before it is stored (photo_clean, from the admin's form): decoded in full, refused when
its header says it has too many pixels, turned upright by its EXIF orientation, and
written afresh as a JPEG without EXIF, GPS, XMP or anything appended (a phone photo
carries where it was taken). The copies are made from that once, when a photo is saved:
JPEGs at a few widths.
"""

import contextlib
import io
import math
import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from bookings.models import Physiotherapist

# Card (80 CSS px) and profile (up to 320 CSS px) at 1x and 2x screens.
WIDTHS = (160, 320, 640)
JPEG_QUALITY = 82

# What an upload may be, and its most pixels, refused from the header before anything is decoded.
# Pillow opens dozens of formats (EPS runs Ghostscript); a photo is one of these. Pillow's own guard
# (Image.MAX_IMAGE_PIXELS) only warns from 89.5 MP and refuses from 179 MP: the 12000x12000
# PNG of 17 kB (144 MP) passed it, to be resized in the request (figures below).
# A JPEG: a phone's high-resolution mode, 48 MP on an iPhone (8064x6048), 50 MP on Android (8160x6120).
# libjpeg decodes it at 1/2 to 1/8 scale (draft), so a 50 MP JPEG costs what a 12 MP one does.
# A PNG or WebP (screenshots, exports) is decoded at full size, 4 bytes a pixel and a copy to resize;
# Pillow's WebP decoder holds a second copy, so a WebP gets half the PNG's pixels.
# So at the limits a photo costs under 1 s and 160 MB. Measured (the form's check, the save and the
# copies in one process; peak RSS above the process's own 65-78 MB; 2 cores at a load of about 2,
# old and new code run in turn; under a load of 4 times were about twice these):
#   49.9 MP JPEG, 14 MB      0.41 s, +41 MB     (before: 2.37 s, +385 MB)
#   12 MP JPEG, 3.5 MB       0.29 s, +41 MB     (before: 0.57 s, +97 MB)
#   16 MP RGBA PNG           0.77-0.88 s, +158 MB (before: 1.03 s, +125 MB; alpha now goes on white, not dropped)
#   16 MP RGB PNG            0.52 s, +96 MB
#   8 MP RGBA WebP           0.69 s, +154 MB    (16 MP: 0.83 s, +283 MB; before: 0.90 s, +249 MB)
#   144 MP PNG, 17 kB        refused in 0.02 s, +0 MB (before: accepted, 5.70 s, +690 MB)
#   50 MP RGBA PNG, 0.9 MB   refused in 0.02 s, +0 MB (before: accepted, 2.60 s, +384 MB)
MAX_PIXELS = {"JPEG": 50_000_000, "PNG": 16_000_000, "WEBP": 8_000_000}
KINDS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}  # as Pillow names them: as people do
PIXEL_LIMITS = (
    f"{MAX_PIXELS['JPEG'] // 1_000_000} megapixels for a JPEG, {MAX_PIXELS['PNG'] // 1_000_000} for a PNG, "
    f"{MAX_PIXELS['WEBP'] // 1_000_000} for a WebP"
)
# A 50 MP phone JPEG is 10 to 25 MB; the README's nginx lets this much through to the therapist form.
MAX_BYTES = 25 * 1024 * 1024
# The stored original's longest side: three times the largest copy, so a new copy size needs no new
# upload, and small enough that a 12 MP phone photo (4032x3024) is decoded at half scale.
KEEP_SIDE = 2000
KEEP_QUALITY = 90
SRGB = ImageCms.createProfile("sRGB")


def photo_clean(upload) -> ContentFile:
    """
    Return the upload decoded in full and re-encoded as the original to store: a JPEG, upright,
    in sRGB, at most KEEP_SIDE pixels on its longest side, with no metadata. Raise ValidationError
    for a file that is not a whole JPEG, PNG or WebP within MAX_BYTES and MAX_PIXELS.
    """
    if upload.size > MAX_BYTES:
        raise ValidationError(
            "The photo is %(mb).0f MB; the largest accepted is %(max)d MB. Save a smaller copy and upload that.",
            code="photo_too_large",
            params={"mb": upload.size / 1024 / 1024, "max": MAX_BYTES // 1024 // 1024},
        )
    upload.seek(0)
    try:
        # Lazy: reads the header only.
        image = Image.open(upload, formats=tuple(MAX_PIXELS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's guard, at 179 MP (or at 89.5 MP where warnings are errors, as in the tests).
        raise _too_many_pixels(None, None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("This is not a JPEG, PNG or WebP photo.", code="photo_format") from None
    # A JPEG with more pictures after the first (an Android Ultra HDR photo's gain map) opens as MPO;
    # only its first picture is read.
    kind = "JPEG" if image.format == "MPO" else image.format
    with image:
        if image.width * image.height > MAX_PIXELS[kind]:
            raise _too_many_pixels(image.size, kind)
        try:
            # A JPEG decoded at 1/2, 1/4 or 1/8 scale where that still covers what is kept (thumbnail's
            # own draft() asks for the square box, which a 4:3 photo rarely fills twice); every byte is
            # still decoded. thumbnail() then reduces by whole factors before the fine resize.
            scale = KEEP_SIDE / max(image.size)
            if scale < 1:
                image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
            image.thumbnail((KEEP_SIDE, KEEP_SIDE), Image.Resampling.LANCZOS)
            upright = _srgb(ImageOps.exif_transpose(image))
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            raise ValidationError(
                "The photo could not be read in full: the file is cut short or damaged. "
                "Save a fresh copy and upload that.",
                code="photo_unreadable",
            ) from None
    upright.info = {}  # nothing read from the upload is written back
    buffer = io.BytesIO()
    upright.save(buffer, "JPEG", quality=KEEP_QUALITY, optimize=True)
    stem, _ = os.path.splitext(os.path.basename(upload.name or "photo"))
    return ContentFile(buffer.getvalue(), name=f"{stem}.jpg")


def _too_many_pixels(size: tuple[int, int] | None, kind: str | None) -> ValidationError:
    limits = f"the largest accepted is {PIXEL_LIMITS}. Save a smaller copy and upload that."
    if size is None:
        return ValidationError(f"The photo has far too many pixels: {limits}", code="photo_pixels")
    width, height = size
    return ValidationError(
        f"The {KINDS[kind]} is {width}x{height} ({width * height / 1e6:.0f} megapixels); {limits}", code="photo_pixels"
    )


def _srgb(image: Image.Image) -> Image.Image:
    """
    Return the image in sRGB, its colour profile applied (a phone's Display P3 looks dull read as
    sRGB, and the profile is not kept) and any transparency on white.
    """
    profile = image.info.get("icc_profile")
    if image.has_transparency_data:
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    if image.mode not in ("RGB", "CMYK", "L"):
        image = image.convert("RGB")
    # A broken profile, or one for another kind of image: the pixels as they are.
    with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
        if profile:
            image = ImageCms.profileToProfile(image, io.BytesIO(profile), SRGB, outputMode="RGB")
    return image.convert("RGB")


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
