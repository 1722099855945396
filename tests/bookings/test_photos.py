"""
A therapist's photo as reception uploads it in the admin: checked in full by the form, refused
when it is too large to decode cheaply, and stored re-encoded, without what the camera wrote.
"""

import importlib
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageFile, PngImagePlugin, WebPImagePlugin

from bookings import photos
from tests.factories import PhysiotherapistFactory

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return tmp_path


def photo(width, height, fmt="JPEG", **save) -> bytes:
    """A photo-like image (noise, so it does not compress to nothing and truncation cuts into the scan)."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(admin_client, therapist, content: bytes, name="photo.jpg"):
    data = {"name_en_gb": therapist.name, "slug": therapist.slug, "credentials_en_gb": "DPT", "gender": "female",
            "is_active": "on", "photo": SimpleUploadedFile(name, content)}  # fmt: skip
    return admin_client.post(f"/admin/bookings/physiotherapist/{therapist.pk}/change/", data)


def stored_files(media) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def photo_error(response) -> str:
    assert response.status_code == 200, f"expected the form again, got {response.status_code}"
    return " ".join(response.context["adminform"].form.errors["photo"])


def test_a_truncated_jpeg_is_a_form_error_and_nothing_is_stored(admin_client, media):
    """Before: the field's verify() passed it, the original was stored, and making the copies failed."""
    therapist = PhysiotherapistFactory()
    whole = photo(800, 1000)
    assert "could not be read" in photo_error(upload(admin_client, therapist, whole[: len(whole) // 2]))
    therapist.refresh_from_db()
    assert not therapist.photo and stored_files(media) == []


def test_a_file_that_is_not_a_photo_format_is_refused(admin_client, media):
    """Pillow opens dozens of formats (EPS runs Ghostscript); a photo is a JPEG, PNG or WebP."""
    therapist = PhysiotherapistFactory()
    gif = io.BytesIO()
    Image.new("P", (700, 700)).save(gif, "GIF")
    assert "JPEG, PNG or WebP" in photo_error(upload(admin_client, therapist, gif.getvalue(), "photo.gif"))
    assert stored_files(media) == []


# Over the PNG's 16 MP and the WebP's 8; 64 MP, under Pillow's own guard; the 144 MP of 17 kB,
# which Pillow's guard refuses at open where its warning is an error, as here (in production it warns).
@pytest.mark.parametrize(
    ("size", "kind", "said"),
    [((4100, 4100), "PNG", "PNG is 4100x4100 (17 megapixels)"),
     ((3000, 3000), "WEBP", "WebP is 3000x3000 (9 megapixels)"),
     ((8000, 8000), "PNG", "PNG is 8000x8000 (64 megapixels)"),
     ((12000, 12000), "PNG", "far too many pixels")],
)  # fmt: skip
def test_a_photo_with_too_many_pixels_is_refused_before_it_is_decoded(
    admin_client, media, monkeypatch, size, kind, said
):
    """
    Before: 12000x12000 was resized in the request (3.8 s, 690 MB). Its header says how big it is,
    so it is refused without decoding it (Pillow decodes in load(); WebP's own load() decodes first).
    """
    decoded = []
    for cls in (ImageFile.ImageFile, WebPImagePlugin.WebPImageFile):
        monkeypatch.setattr(cls, "load", lambda image, load=cls.load: decoded.append(image.size) or load(image))
    therapist = PhysiotherapistFactory()
    buffer = io.BytesIO()
    Image.new("L", size).save(buffer, kind, **({"optimize": True} if kind == "PNG" else {}))
    error = photo_error(upload(admin_client, therapist, buffer.getvalue(), f"huge.{kind.lower()}"))
    assert said in error and "the largest accepted is 50 megapixels for a JPEG, 16 for a PNG, 8 for a WebP" in error
    assert decoded == [] and stored_files(media) == []


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 5D"  # Model
    exif[0x0112] = 6  # Orientation: stored sideways, shown upright
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (24.0, 48.0, 36.0)  # Karachi
    gps[3], gps[4] = "E", (67.0, 0.0, 36.0)
    return exif


XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="24,48.6N"/></rdf:RDF>'
XMP += b"</x:xmpmeta>"


def test_a_phone_photo_is_stored_upright_without_exif_gps_or_xmp(admin_client, media):
    """Before: the original was stored byte for byte, with where it was taken and on what camera."""
    therapist = PhysiotherapistFactory()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    sent = photo(1000, 800, exif=gps_exif(), xmp=XMP, icc_profile=icc)
    assert b"Canon" in sent and b"GPSLatitude" in sent and icc in sent
    response = upload(admin_client, therapist, sent)
    assert response.status_code == 302, response.content.decode()[:2000]
    therapist.refresh_from_db()
    stored = Path(therapist.photo.path).read_bytes()
    assert b"Exif" not in stored and b"Canon" not in stored and b"GPS" not in stored and b"xmpmeta" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (800, 1000)  # turned upright, so no orientation is needed
        assert not image.getexif() and "xmp" not in image.info and "icc_profile" not in image.info
    assert (therapist.photo_width, therapist.photo_height) == (800, 1000)
    assert [width for _, width in photos.variants(therapist)] == [160, 320, 640]


def test_a_png_with_html_appended_is_stored_without_it(admin_client, media):
    """Before: the PNG was kept as sent, a page's worth of script after its last chunk."""
    therapist = PhysiotherapistFactory()
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "taken at home, 24.8N 67.0E")
    sent = photo(700, 900, "PNG", pnginfo=text) + b"<html><script>alert(document.cookie)</script></html>"
    response = upload(admin_client, therapist, sent, "sana.png")
    assert response.status_code == 302, response.content.decode()[:2000]
    therapist.refresh_from_db()
    for path in stored_files(media):
        content = path.read_bytes()
        assert b"<script" not in content and b"taken at home" not in content, path.name
        assert path.suffix == ".jpg"
    assert therapist.photo.name.endswith(".jpg")


def test_the_file_picker_offers_the_formats_the_form_takes(admin_client):
    """Before: accept="image/*" let a picker offer HEIC, GIF or TIFF, which the form refuses."""
    therapist = PhysiotherapistFactory()
    page = admin_client.get(f"/admin/bookings/physiotherapist/{therapist.pk}/change/").content.decode()
    assert re.search(r'<input type="file" name="photo" accept="image/jpeg,image/png,image/webp"', page)


def test_a_multi_picture_jpeg_is_a_jpeg(admin_client, media):
    """An Android Ultra HDR photo carries a gain map as a second picture; Pillow calls such a file MPO."""
    therapist = PhysiotherapistFactory()
    buffer = io.BytesIO()
    first, gain_map = Image.new("RGB", (900, 1200), "teal"), Image.new("L", (450, 600))
    first.save(buffer, "MPO", save_all=True, append_images=[gain_map])
    assert Image.open(buffer).format == "MPO"
    response = upload(admin_client, therapist, buffer.getvalue())
    assert response.status_code == 302, response.content.decode()[:2000]
    therapist.refresh_from_db()
    with Image.open(therapist.photo.path) as stored:
        assert stored.format == "JPEG" and stored.size == (900, 1200) and getattr(stored, "n_frames", 1) == 1


def nginx_blocks() -> str:
    return "\n".join(re.findall(r"```nginx\n(.*?)```", README.read_text(), re.S))


def test_the_readmes_nginx_serves_uploads_with_nosniff():
    """Before: the README's nginx had no location for uploads, so nothing sent nosniff on them."""
    media = re.search(r"location /media/ \{(.*?)\n    \}", nginx_blocks(), re.S)
    assert media, "no location /media/ in the README's nginx"
    assert "add_header X-Content-Type-Options nosniff always;" in media.group(1)
    assert "add_header Content-Security-Policy \"default-src 'none'; sandbox\" always;" in media.group(1)


def test_the_readmes_nginx_lets_a_phone_photo_through_to_the_therapist_form():
    """Before: the server's 1 MB body limit refused a phone's photo (3 to 12 MB) with nginx's 413."""
    therapists = re.search(r"location /admin/bookings/physiotherapist/ \{(.*?)\n    \}", nginx_blocks(), re.S)
    assert therapists, "no location for the therapist form in the README's nginx"
    limit = int(re.search(r"client_max_body_size (\d+)m;", therapists.group(1)).group(1))
    assert limit * 1024 * 1024 >= photos.MAX_BYTES


def test_migration_0027_writes_the_photos_already_stored_afresh(media):
    """Photos stored before the form's check kept their GPS and what was appended; 0027 rewrites them in place."""
    from django.apps import apps
    from django.core.files.base import ContentFile

    forwards = importlib.import_module("bookings.migrations.0027_photos").forwards
    sideways, damaged = PhysiotherapistFactory(), PhysiotherapistFactory()
    sideways.photo.save("old.jpg", ContentFile(photo(1000, 800, exif=gps_exif(), xmp=XMP) + b"<script>"))
    sideways.photo_width, sideways.photo_height = 800, 1000  # as the copies recorded it, upright
    sideways.save()
    damaged.photo.save("cut.jpg", ContentFile(photo(400, 300)[:2000]))
    cut = Path(damaged.photo.path).read_bytes()
    forwards(apps, None)
    sideways.refresh_from_db()
    assert sideways.photo.name == "physiotherapists/old.jpg"
    stored = Path(sideways.photo.path).read_bytes()
    assert b"Exif" not in stored and b"Canon" not in stored and b"xmpmeta" not in stored and b"<script" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (800, 1000)
    assert Path(damaged.photo.path).read_bytes() == cut  # unreadable: left for a person, not lost
