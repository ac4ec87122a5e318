"""Every text a user reads in French has its translation: each literal given to `_`,
`gettext`, `gettext_lazy` or `gettext_noop` in the project's code and each
`{% translate "…" %}` of the templates is a translated, non-fuzzy entry of the French
catalogue. And the code calls those functions by the names `makemessages` extracts: under
another alias (`_lazy`) a text is never extracted, so it silently stays in English (the sort
options of the organisation list did) and the next `makemessages` would make its entry
obsolete. `{% blocktranslate %}` blocks are not checked here."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
FUNCTIONS = {"_", "gettext", "gettext_lazy", "gettext_noop"}
SKIPPED = {".venv", "tests", "staticfiles", "node_modules", "locale", "migrations"}
TEMPLATE_TEXT = re.compile(r'{%\s*(?:translate|trans)\s+"([^"]*)"')


def _python_files():
    return [path for path in ROOT.rglob("*.py")
            if not SKIPPED & set(path.relative_to(ROOT).parts)]


def _catalogue() -> set[str]:
    """The msgids with a translation, fuzzy and obsolete entries left out (read line by line:
    entries written by hand are not always separated by a blank line)."""
    translated, flags, part, parts = set(), "", None, {}
    for line in [*CATALOGUE.read_text(encoding="utf-8").splitlines(), "#"]:
        if line.startswith(('"',)) and part:
            parts[part] += ast.literal_eval(line)
            continue
        if part and part.startswith("msgstr") and not line.startswith("msgstr"):  # its end
            if (parts["msgid"] and all(v for k, v in parts.items() if k.startswith("msgstr"))
                    and "fuzzy" not in flags):
                translated.add(parts["msgid"])
            flags, part, parts = "", None, {}
        if line.startswith("#,"):
            flags += line
        elif line.startswith(("msgid", "msgstr")):
            part, _space, value = line.partition(" ")
            parts[part] = ast.literal_eval(value)
    return translated


def _texts_in_code():
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in FUNCTIONS and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0].value


def _texts_in_templates():
    for path in (ROOT / "templates").rglob("*.html"):
        for match in TEMPLATE_TEXT.finditer(path.read_text(encoding="utf-8")):
            yield str(path.relative_to(ROOT)), match.group(1)


def test_every_text_of_the_code_and_templates_is_translated():
    translated = _catalogue()
    texts = [*_texts_in_code(), *_texts_in_templates()]
    assert len(texts) > 1000  # the scan finds the platform's texts
    missing = [f"{where}: {text!r}" for where, text in texts if text not in translated]
    assert missing == []


def test_translation_functions_keep_the_names_makemessages_extracts():
    aliases = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                aliases += [f"{path.relative_to(ROOT)}: {name.name} as {name.asname}"
                            for name in node.names
                            if name.asname and name.asname != "_"]
    assert aliases == []


def test_the_catalogue_reader_sees_fuzzy_entries_as_untranslated(tmp_path, monkeypatch):
    po = tmp_path / "django.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "Sort by"\nmsgstr "Trier '
                  'par"\n\n#, fuzzy\nmsgid "Name"\nmsgstr "Nom"\n\nmsgid "Open"\nmsgstr ""\n\n'
                  '#~ msgid "Old"\n#~ msgstr "Vieux"\n', encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["CATALOGUE"]), "CATALOGUE", po)
    assert _catalogue() == {"Sort by"}
