#!/usr/bin/env python3
"""List the translations still missing from locale/*/LC_MESSAGES/django.po.

The project writes most msgids in Korean and some (model fields, help texts)
in English, so each catalog translates the other language:

- locale/en: every Korean msgid needs an English msgstr;
- locale/ko: every English msgid needs a Korean msgstr.

A msgid counts as Korean when Hangul remains after dropping quoted examples
(`code`, 'x', “x”, ‘x’) and anything after "e.g.", so an English help text
with a Korean example is still English. Fuzzy entries are listed too: gettext
ignores them. Exits 1 when anything is listed, so `make messages` fails loudly.

Usage: python scripts/i18n-check.py [--lang en|ko]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "locale"
HANGUL = re.compile("[\uac00-\ud7a3]")
QUOTED = re.compile(r"`[^`]*`|'[^']*'|“[^”]*”|‘[^’]*’|\be\.g\..*$", re.S)
# Catalog language -> whether it translates the Korean msgids (else the English ones).
TRANSLATES_KOREAN = {"en": True, "ko": False}


def is_korean(msgid: str) -> bool:
    return bool(HANGUL.search(QUOTED.sub("", msgid)))


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (list), flags, line of the msgid."""
    entries: list[dict] = []

    def new() -> dict:
        return {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set(), "line": 0}

    entry, field = new(), ("msgid", 0)
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if entry["msgstr"] and (line.startswith(("#", "msgctxt ", "msgid "))):
            entries.append(entry)
            entry = new()
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            name, index = field
            if name == "msgstr":
                entry["msgstr"][index] += ast.literal_eval(line)
            else:
                entry[name] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match or keyword == "msgstr":
                index = int(match.group(1)) if match else 0
                entry["msgstr"][index] = ast.literal_eval(value)
                field = ("msgstr", index)
            else:
                entry[keyword] = ast.literal_eval(value)
                field = (keyword, 0)
                if keyword == "msgid":
                    entry["line"] = line_no
    if entry["msgid"] is not None:
        entries.append(entry)
    for entry in entries:
        entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
    return entries


def problems(lang: str, path: Path | None = None) -> list[tuple[int, str, str]]:
    """(line, reason, msgid) for each untranslated or fuzzy entry of one catalog."""
    path = path or LOCALE / lang / "LC_MESSAGES" / "django.po"
    found = []
    for entry in read_po(path):
        if not entry["msgid"]:
            if "fuzzy" in entry["flags"]:
                found.append((entry["line"], "fuzzy header", ""))
            continue
        if "fuzzy" in entry["flags"]:
            found.append((entry["line"], "fuzzy", entry["msgid"]))
        elif is_korean(entry["msgid"]) == TRANSLATES_KOREAN[lang] and not all(entry["msgstr"]):
            found.append((entry["line"], "untranslated", entry["msgid"]))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=sorted(TRANSLATES_KOREAN), action="append")
    args = parser.parse_args()
    total = 0
    for lang in args.lang or sorted(TRANSLATES_KOREAN):
        path = LOCALE / lang / "LC_MESSAGES" / "django.po"
        if not path.exists():
            print(f"{path}: missing (run `make messages`)")
            total += 1
            continue
        for line, reason, msgid in problems(lang):
            print(f"{path.relative_to(LOCALE.parent)}:{line}: {reason}: {msgid!r}")
            total += 1
    if total:
        print(f"{total} entr{'y' if total == 1 else 'ies'} to translate; fill the msgstr, then `make messages`.")
        return 1
    print("All Korean msgids have English translations and all English msgids Korean ones.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
