"""Photos and documents kept as evidence of inspections and farm records.

A file is judged by its content, never by its name: JPEG, PNG, WebP (and HEIC where a Pillow
plug-in reads it) are decoded, turned upright, shrunk to a sane size and saved again, which drops
the camera's metadata and the phone's location unless the inspector keeps it for the record; a
PDF is kept as sent. Files live under instance/evidence named by their SHA-256, so the same photo
is stored once, and the database holds only the facts about them. Nothing here is public.
"""
import hashlib
import io
import os
import warnings

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN
from PIL import Image, ImageOps, UnidentifiedImageError

from certificates.models import EVIDENCE_VIEWS, Activity, Evidence, InputEntry, Inspection, Requirement
from core.db import db
from core.validation import Checkbox, Choice, Integer, Schema, Text, ValidationError

# A phone photo is 2-8 MB; a scanned document a few more. Larger is refused, not stored.
MAX_FILE_BYTES = 15 * 1024 * 1024
# Several photos may go up in one request from the inspection page.
MAX_REQUEST_BYTES = 64 * 1024 * 1024
# Longest side kept: enough to read a label on a bag, a tenth of a phone photo's bytes.
MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 85
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "HEIC"}

try:  # HEIC photos of iPhones, where the optional plug-in is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:
    pass


def folder():
    """Where the evidence files live: instance/evidence."""
    return os.path.join(current_app.instance_path, "evidence")


def path_of(evidence, thumb=False):
    """The file of a piece of evidence, or of its thumbnail."""
    name = f"{evidence.sha256}.thumb.jpg" if thumb else f"{evidence.sha256}.{evidence.extension}"
    return os.path.join(folder(), evidence.sha256[:2], name)


def _write(path, data):
    """Write a file once, atomically, readable only by the app (a photo of a farm is not for everyone)."""
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.part"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def _image(raw, keep_location):
    """Decode, turn upright, shrink and re-encode a photo; return (bytes, extension, width, height, thumbnail)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(raw))
            if picture.format not in IMAGE_FORMATS:
                raise ValidationError({"file": _l("Send a photo (JPEG, PNG, WebP or HEIC) or a PDF.")})
            picture.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG twice the kept size or more decodes scaled down
            picture.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError):
        raise ValidationError({"file": _l("Send a photo (JPEG, PNG, WebP or HEIC) or a PDF.")}) from None
    exif = picture.getexif() if keep_location else None
    if exif is not None:
        exif.get_ifd(0x8825)  # load the GPS block, so it is written back with the rest
    picture = ImageOps.exif_transpose(picture)
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if picture.mode in ("RGBA", "LA") or (picture.mode == "P" and "transparency" in picture.info):
        picture.convert("RGBA").save(out, "PNG", optimize=True)
        extension = "png"
    else:
        options = {"quality": JPEG_QUALITY, "optimize": True}
        if exif is not None:
            exif[0x0112] = 1  # already turned upright
            options["exif"] = exif.tobytes()
        picture.convert("RGB").save(out, "JPEG", **options)
        extension = "jpg"
    thumb = picture.convert("RGB")
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, "JPEG", quality=80)
    return out.getvalue(), extension, picture.width, picture.height, thumb_out.getvalue()


class EvidenceInput(Schema):
    """What an uploaded file shows: a caption, the required view of the plot, the checklist item."""

    caption = Text(300)
    view = Choice(EVIDENCE_VIEWS)
    requirement_id = Integer()
    keep_location = Checkbox(description="Keep the photo's GPS position (removed otherwise)")


def _owner(data, inspection=None, input_entry=None, activity=None):
    """Check what the file belongs to: a required view or checklist item of an inspection, an input entry, an activity.

    Returns (owner, keep_location): the Evidence fields of the owner, and whether to keep a photo's position.
    """
    cleaned = EvidenceInput.clean(data)
    owner = {"inspection": inspection, "input_entry": input_entry, "activity": activity,
             "caption": cleaned["caption"], "view": cleaned.get("view") or ""}
    requirement_id = cleaned.get("requirement_id")
    if requirement_id:
        requirement = Requirement.get_or_none(Requirement.id == requirement_id)
        if inspection is None or requirement is None or requirement.version_id != inspection.version_id:
            raise ValidationError({"requirement_id": _l("Choose a checklist item of this inspection.")})
        owner["requirement"] = requirement
    if owner["view"] and inspection is None:
        raise ValidationError({"view": _l("Views of the plot belong to an inspection.")})
    return owner, cleaned["keep_location"]


def add(raw, filename, data, user, inspection=None, input_entry=None, activity=None):
    """Keep one uploaded file as evidence of `inspection`, `input_entry` or `activity`; return the Evidence."""
    if not any((inspection, input_entry, activity)):
        raise ValidationError({"file": _l("Evidence must belong to an inspection or a farm record.")})
    owner, keep_location = _owner(data, inspection, input_entry, activity)
    if not raw:
        raise ValidationError({"file": _l("Choose a photo or a PDF.")})
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError({"file": _l("The file is too large: at most %(mb)s MB.", mb=MAX_FILE_BYTES // (1024 * 1024))})
    if raw.startswith(b"%PDF-"):
        stored, extension, width, height, thumb, kind = raw, "pdf", None, None, None, "pdf"
    else:
        stored, extension, width, height, thumb = _image(raw, keep_location)
        kind = "image"
    digest = hashlib.sha256(stored).hexdigest()
    evidence = Evidence(sha256=digest, kind=kind, extension=extension, size_bytes=len(stored), width=width, height=height,
                        original_name=os.path.basename(str(filename or ""))[:200], kept_location=keep_location and kind == "image",
                        uploaded_by=user, **owner)
    _write(path_of(evidence), stored)
    if thumb is not None:
        _write(path_of(evidence, thumb=True), thumb)
    with db.atomic():
        evidence.save()
    return evidence


def add_many(files, data, user, **owner):
    """Keep several uploaded files (a werkzeug FileStorage list) in one go; all are checked before any is kept."""
    uploads = [(f.read(MAX_FILE_BYTES + 1), f.filename) for f in files if f and f.filename]
    if not uploads:
        raise ValidationError({"file": _l("Choose a photo or a PDF.")})
    with db.atomic():
        return [add(raw, name, data, user, **owner) for raw, name in uploads]


def of_inspection(inspection):
    """The inspection's evidence, by view and then checklist item, oldest first."""
    return list(Evidence.select().where(Evidence.inspection == inspection).order_by(Evidence.uploaded_at, Evidence.id))


def missing_views(inspection):
    """The required views of the plot no photo of the inspection shows yet."""
    shown = {e.view for e in Evidence.select(Evidence.view).where(Evidence.inspection == inspection, Evidence.kind == "image")}
    return [view for view in EVIDENCE_VIEWS if view not in shown]


def of_farm(household):
    """Map ('input', id) and ('activity', id) to the evidence of the household's farm records."""
    found = {}
    query = (Evidence.select().join(InputEntry, on=(Evidence.input_entry == InputEntry.id), join_type=JOIN.LEFT_OUTER)
             .switch(Evidence).join(Activity, on=(Evidence.activity == Activity.id), join_type=JOIN.LEFT_OUTER)
             .where((InputEntry.household == household) | (Activity.household == household))
             .order_by(Evidence.id))
    for evidence in query:
        key = ("input", evidence.input_entry_id) if evidence.input_entry_id else ("activity", evidence.activity_id)
        found.setdefault(key, []).append(evidence)
    return found


def household_of(evidence):
    """The household a piece of evidence is about."""
    if evidence.inspection_id:
        return Inspection.get_by_id(evidence.inspection_id).household
    if evidence.input_entry_id:
        return InputEntry.get_by_id(evidence.input_entry_id).household
    return Activity.get_by_id(evidence.activity_id).household
