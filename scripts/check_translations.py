"""Fail when a catalogue has an untranslated or fuzzy entry, or when a string marked for
translation in the code is missing from the catalogues (makemessages is run, compared, and the
catalogues are put back as they were)."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "nl", "de", "en")
IGNORE = (".venv", ".tools", "var", "node_modules", "tests", "static/vendor", "bench")


def catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def keys(po: polib.POFile) -> set[tuple[str | None, str]]:
    return {(e.msgctxt, e.msgid) for e in po if not e.obsolete}


def main() -> int:
    problems: list[str] = []
    for language in LANGUAGES:
        path = catalogue(language)
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)}: missing")
            continue
        po = polib.pofile(str(path))
        problems.extend(f"{language}: untranslated: {e.msgid!r}" for e in po.untranslated_entries())
        problems.extend(f"{language}: fuzzy: {e.msgid!r}" for e in po.fuzzy_entries())

    current = {
        lang: keys(polib.pofile(str(catalogue(lang))))
        for lang in LANGUAGES
        if catalogue(lang).exists()
    }
    with tempfile.TemporaryDirectory() as backup:
        for language in current:
            shutil.copy2(catalogue(language), Path(backup) / f"{language}.po")
        try:
            command = [
                sys.executable,
                "manage.py",
                "makemessages",
                "--no-obsolete",
                "--no-location",
                "-e",
                "html,txt,py",
            ]
            for language in LANGUAGES:
                command += ["-l", language]
            for pattern in IGNORE:
                command += ["--ignore", pattern]
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            for language in current:
                extracted = keys(polib.pofile(str(catalogue(language))))
                for context, msgid in sorted(extracted - current[language], key=str):
                    label = f"{context}|{msgid}" if context else msgid
                    problems.append(f"{language}: not in the catalogue: {label!r}")
        finally:
            for language in current:
                shutil.copy2(Path(backup) / f"{language}.po", catalogue(language))

    if problems:
        print("Translation problems:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"Translations complete in {', '.join(LANGUAGES)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
