"""Compiled catalogues: `python run.py translations` makes them; the server never writes the source tree."""
import os
import shutil

from click.testing import CliRunner

from core import create_app, i18n
from core.cli import cli


def _tree_of_po_files(tmp_path):
    """A copy of translations/ as a fresh clone has it: the .po files and no .mo."""
    tree = tmp_path / "translations"
    for language, po_path, _mo_path in i18n._catalogs(i18n.TRANSLATIONS_DIR, i18n.TRANSLATIONS_DIR):
        folder = tree / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        shutil.copy2(po_path, folder / "messages.po")
    return tree


def _files(folder):
    return sorted(os.path.relpath(os.path.join(path, name), folder)
                  for path, _dirs, names in os.walk(folder) for name in names)


def test_a_fresh_clone_serves_thai_from_a_copy_compiled_into_the_instance_folder(app_config, tmp_path, monkeypatch):
    """With no compiled catalogue in the tree the app compiles its own into instance/, and leaves the tree alone."""
    tree = _tree_of_po_files(tmp_path)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", str(tree))
    before = _files(tree)
    app = create_app(app_config)
    instance_copy = os.path.join(app_config["INSTANCE_PATH"], "translations")
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == instance_copy
    assert _files(tree) == before == ["th/LC_MESSAGES/messages.po"]
    assert os.path.exists(os.path.join(instance_copy, "th", "LC_MESSAGES", "messages.mo"))
    assert "เข้าสู่ระบบ" in app.test_client().get("/login").get_data(as_text=True)


def test_the_translations_command_compiles_beside_the_po_and_the_app_reads_them_there(app_config, tmp_path, monkeypatch):
    """`python run.py translations` compiles each .po that changed; the app then reads the tree's catalogues."""
    tree = _tree_of_po_files(tmp_path)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", str(tree))
    runner = CliRunner()
    first = runner.invoke(cli, ["translations"])
    assert (first.exit_code, first.output) == (0, "th: compiled\n")
    assert _files(tree) == ["th/LC_MESSAGES/messages.mo", "th/LC_MESSAGES/messages.po"]
    again = runner.invoke(cli, ["translations"])
    assert (again.exit_code, again.output) == (0, "Up to date: every .mo is newer than its .po.\n")
    app = create_app(app_config)
    assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(tree)
    assert not os.path.exists(os.path.join(app_config["INSTANCE_PATH"], "translations"))
    assert "เข้าสู่ระบบ" in app.test_client().get("/login").get_data(as_text=True)


def test_a_broken_placeholder_fails_the_command(tmp_path, monkeypatch):
    """A Thai message whose placeholder differs from the English one is reported and the command fails."""
    tree = _tree_of_po_files(tmp_path)
    po_path = tree / "th" / "LC_MESSAGES" / "messages.po"
    with open(po_path, "a", encoding="utf-8") as po_file:
        po_file.write('\n#, python-format\nmsgid "Checked %(file)s at the counter."\nmsgstr "ตรวจ %(name)s ที่เคาน์เตอร์แล้ว"\n')
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", str(tree))
    result = CliRunner().invoke(cli, ["translations"])
    assert result.exit_code == 1
    assert "messages.po" in result.output and "th: compiled" in result.output
