"""What the app does to the machine it runs on: a weak SECRET_KEY is refused at start, and the
database, instance folder, backups and uploaded files are the app's user's alone and not kept.
"""
import io
import os
import stat
import subprocess
import sys
import time

import pytest

from core import create_app, retention
from core.config import ConfigurationError

from tests.support import TEST_DATABASE_URL

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("key", ["x", "short-but-not-32-bytes", "ก" * 10])
def test_a_weak_secret_key_is_refused_at_start(tmp_path, database_url, monkeypatch, key):
    """SECRET_KEY under 32 bytes (ten Thai letters are 30) stops the app with a message saying how to make one."""
    monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short.*secrets.token_hex"):
        create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "inst")})


def test_the_server_command_refuses_a_weak_secret_key_with_a_message(tmp_path):
    """`python run.py init-db` with a one-character key exits 1 with the message, not a traceback."""
    env = dict(os.environ, SECRET_KEY="x", DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}")
    result = subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "SECRET_KEY is too short" in result.stderr and "Traceback" not in result.stderr


def test_a_long_secret_key_is_taken(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["SECRET_KEY"] == "k" * 32


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the file permissions of a SQLite database")
def test_database_and_instance_folder_are_owner_only(tmp_path, monkeypatch):
    """A new SQLite database is 0600 (so are its -wal and -shm files) and instance/ is 0700;
    an existing world-readable database is tightened at start."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "inst" / "greenmarket.db"
        app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": f"sqlite:///{path}"})
        with app.test_client() as client:
            client.get("/healthz")
        assert mode(tmp_path / "inst") == 0o700
        assert mode(path) == 0o600
        for extra in ("-wal", "-shm"):
            if os.path.exists(f"{path}{extra}"):
                assert mode(f"{path}{extra}") == 0o600, extra
        os.chmod(path, 0o644)
        create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE_URL": f"sqlite:///{path}"})
        assert mode(path) == 0o600
    finally:
        os.umask(old_umask)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="backs up a SQLite file")
def test_a_backup_is_owner_only(tmp_path):
    """`backup backups/x.db` writes the copy as 0600 (README: make backups/ with mkdir -m 700)."""
    env = dict(os.environ, SECRET_KEY="k" * 32, DATABASE_URL=f"sqlite:///{tmp_path / 'g.db'}")
    subprocess.run([sys.executable, "run.py", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    (tmp_path / "backups").mkdir()
    target = tmp_path / "backups" / "greenmarket-2026-12-02.db"
    result = subprocess.run([sys.executable, "run.py", "backup", str(target)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert mode(target) == 0o600


def test_an_uploaded_import_file_is_owner_only_and_removed_after_commit(app, client, auth):
    """The previewed file waits in instance/imports (0700) as 0600, and is gone once imported."""
    auth.login("admin")
    csv = "code,head_name,village_no\nKH-07-001,นางสาย ใจงาม,7\n".encode()
    response = client.post("/households/import", data={"file": (io.BytesIO(csv), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    folder = os.path.join(app.instance_path, "imports")
    [name] = os.listdir(folder)
    assert mode(folder) == 0o700 and mode(os.path.join(folder, name)) == 0o600
    assert client.post(f"/households/import/{name}/commit").status_code in (302, 303)
    assert os.listdir(folder) == []


def test_import_files_older_than_a_day_are_removed(app, client, auth):
    """An abandoned preview's file is removed after a day: by the next use of the import page, or by maintenance."""
    folder = os.path.join(app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    old, fresh = os.path.join(folder, "a" * 32 + ".csv"), os.path.join(folder, "b" * 32 + ".csv")
    for path in (old, fresh):
        with open(path, "w") as saved:
            saved.write("code,head_name,village_no\n")
    day_and_a_bit = time.time() - 25 * 3600
    os.utime(old, (day_and_a_bit, day_and_a_bit))
    assert retention.remove_old_import_files(folder) == 1
    assert not os.path.exists(old) and os.path.exists(fresh)
    os.utime(fresh, (day_and_a_bit, day_and_a_bit))
    auth.login("admin")
    csv = "code,head_name,village_no\nKH-07-001,นางสาย ใจงาม,7\n".encode()
    response = client.post("/households/import", data={"file": (io.BytesIO(csv), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert not os.path.exists(fresh) and len(os.listdir(folder)) == 1
