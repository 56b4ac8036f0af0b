"""What the market stops keeping, and when: the retention rule of SECURITY.md and README's Operations.

Uploaded import files live a day at most (a preview is committed within minutes or abandoned),
sign-in attempts 90 days (the brake needs 15 minutes; the rest helps to look back at an attack),
and records of who viewed personal data two years. Sessions are signed cookies that end by
themselves after 14 hours; nothing of them is kept on the server. `python run.py maintenance`
applies the rule; the import page also clears old uploads each time it is used.
"""
import datetime
import os
import time

from core.db import db, utcnow

IMPORT_FILE_MAX_AGE = datetime.timedelta(days=1)
LOGIN_ATTEMPT_MAX_AGE = datetime.timedelta(days=90)
VIEW_LOG_MAX_AGE = datetime.timedelta(days=730)


def remove_old_import_files(folder, max_age=IMPORT_FILE_MAX_AGE):
    """Delete uploaded import files older than `max_age` from `folder`, and the half-done imports that
    kept them; return how many files went. The one clearing of uploads: the import page and
    `maintenance` both call it.
    """
    from core.models import HouseholdImport

    stale = HouseholdImport.select(HouseholdImport.token).where(HouseholdImport.uploaded_at < utcnow() - max_age)
    stale_tokens = {token for (token,) in stale.tuples()}
    HouseholdImport.delete().where(HouseholdImport.token.in_(stale_tokens)).execute()
    if not os.path.isdir(folder):
        return 0
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for entry in os.scandir(folder):
        if entry.is_file() and (entry.name in stale_tokens or entry.stat().st_mtime < cutoff):
            os.remove(entry.path)
            removed += 1
    return removed


def apply_retention(instance_path):
    """Remove what the retention rule no longer keeps; return counts by kind."""
    from core.models import LoginAttempt, PersonalDataView

    now = utcnow()
    with db.atomic():
        attempts = LoginAttempt.delete().where(LoginAttempt.at < now - LOGIN_ATTEMPT_MAX_AGE).execute()
        views = PersonalDataView.delete().where(PersonalDataView.at < now - VIEW_LOG_MAX_AGE).execute()
    files = remove_old_import_files(os.path.join(instance_path, "imports"))
    return {"import_files": files, "login_attempts": attempts, "personal_data_views": views}
