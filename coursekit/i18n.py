"""Translation catalogs, and the edition the running code speaks: gettext's way, for the French edition.

The course's words are translated in gettext catalogs, the format translators' tools read (Poedit, Weblate,
Lokalize), under ``locale/fr/``: one per notebook (``coursekit.editions``) and ``checks.po`` for the messages
coursekit prints. An entry is keyed (``msgctxt``: a cell's id, or a check and hint) and holds the English
(``msgid``) and the French (``msgstr``). ``update_entries`` brings a catalog up to date with its English:

- a new key gets an empty entry (missing);
- a changed English keeps its French, marked ``fuzzy``, with the English it translated as ``#| msgid`` beside the new
  one: a translator sees what changed, and the edition does not use it until the mark is removed;
- a key no longer there becomes obsolete (``#~``), kept for a translator to reuse, and used nowhere.

``entries_status`` counts what is translated, fuzzy, missing and obsolete; the tests insist on complete catalogs.

The exercise checks' verdicts and hints are templates translated in ``locale/fr/checks.po`` (keyed by check and hint,
``coursekit.checks.messages``). ``translate(text, key)`` gives a template in the running edition's language, which
``language()`` finds without a line of code in the notebook: ``COURSEKIT_LANG`` (``coursekit run`` sets it), else the
notebook JupyterLab runs, else the notebooks of the working folder (nbgrader's). This module is imported by every
check, so it reads notebooks as JSON and leaves nbformat (a second to import) to ``coursekit.editions``.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import polib

from coursekit.environment import LANG_ENV, PROJECT_ROOT, write_atomically

LANGUAGES = ("en", "fr")
LOCALE_DIR = PROJECT_ROOT / "locale"
PO_WIDTH = 118  # lines of a catalog, as wide as the notebooks' prose


def check_language(lang: str, english: bool = True) -> None:
    """Refuse a language the course does not have (``english=False``: one with a translation, not English)."""
    allowed = LANGUAGES if english else tuple(x for x in LANGUAGES if x != "en")
    if lang not in allowed:
        raise ValueError(f"the course's languages are {', '.join(allowed)}; got {lang!r}.")


def read_catalog(path: Path) -> polib.POFile:
    """The catalog at ``path`` (``polib.POFile``), or an empty one if there is none yet."""
    if Path(path).is_file():
        return polib.pofile(str(path), wrapwidth=PO_WIDTH, check_for_duplicates=True)
    catalog = polib.POFile(wrapwidth=PO_WIDTH)
    catalog.metadata = {"Project-Id-Version": "coursekit", "Language": "fr", "MIME-Version": "1.0",
                        "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit"}
    return catalog


def write_catalog(catalog: polib.POFile, path: Path) -> None:
    """Write ``catalog`` to ``path``, atomically."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, str(catalog) + "\n")


def current(catalog: polib.POFile) -> dict[str, polib.POEntry]:
    """The catalog's entries that are not obsolete, by cell id (``msgctxt``)."""
    return {entry.msgctxt: entry for entry in catalog if not entry.obsolete}


@dataclass(frozen=True)
class Status:
    """What a catalog holds for its notebook: entries translated and current, fuzzy (the English changed since),
    missing (no French), obsolete (a cell that is no longer there)."""

    translated: int
    fuzzy: int
    missing: int
    obsolete: int

    @property
    def complete(self) -> bool:
        return self.fuzzy == self.missing == self.obsolete == 0


def update_entries(path: Path, entries: list[tuple[str, str]], what: str) -> Status:
    """Bring the catalog at ``path`` up to date with ``entries``, (key, English text): a new key gets an empty entry,
    a changed text keeps its French marked fuzzy with the English it translated, a key no longer there becomes
    obsolete. Writes it; returns its status."""
    old = read_catalog(path)
    before = current(old)
    new = polib.POFile(wrapwidth=PO_WIDTH)
    new.header = (f"French translation of {what}.\n"
                  "Updated by `coursekit translate`; translate in any gettext editor (Poedit, Weblate).")
    new.metadata = old.metadata
    used = set()
    for key, source in entries:
        used.add(key)
        entry = polib.POEntry(msgctxt=key, msgid=source, msgstr="")
        was = before.get(key)
        if was is not None and was.msgstr:
            entry.msgstr, entry.flags, entry.previous_msgid = was.msgstr, list(was.flags), was.previous_msgid
            if was.msgid != source:  # the English changed: keep the French, fuzzy, with the English it translated
                entry.flags = sorted(set(was.flags) | {"fuzzy"})
                entry.previous_msgid = was.previous_msgid or was.msgid
        new.append(entry)
    for entry in old:
        if entry.msgstr and (entry.obsolete or entry.msgctxt not in used):
            entry.obsolete = True
            new.append(entry)
    write_catalog(new, path)
    return entries_status(path, entries)


def entries_status(path: Path, entries: list[tuple[str, str]]) -> Status:
    """The status of the catalog at ``path`` for ``entries`` (key, English text), without changing it: each entry is
    translated (the same English, French, not fuzzy), fuzzy or missing; obsolete entries are counted too."""
    catalog = read_catalog(path)
    found = current(catalog)
    counts = {"translated": 0, "fuzzy": 0, "missing": 0}
    for key, source in entries:
        entry = found.get(key)
        state = ("missing" if entry is None or not entry.msgstr
                 else "fuzzy" if entry.fuzzy or entry.msgid != source else "translated")
        counts[state] += 1
    return Status(**counts, obsolete=len(catalog.obsolete_entries()))


# ---------------------------------------------------------------------------------------------------------------
# Messages printed by coursekit (the checks' hints): gettext's way, a catalog of templates, chosen by the edition
# ---------------------------------------------------------------------------------------------------------------

def messages_catalog_path(lang: str = "fr") -> Path:
    """The catalog of the messages coursekit prints (the exercise checks' verdicts and hints)."""
    check_language(lang, english=False)
    return LOCALE_DIR / lang / "checks.po"


def notebook_language(path: Path) -> str | None:
    """The edition of the notebook at ``path`` (its metadata's "language", "en" without one); None if it cannot be
    read."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("metadata", {}).get("language", "en")
    except (OSError, ValueError):
        return None


@functools.lru_cache(maxsize=4)
def _session_language(path: str, stamp: float) -> str | None:
    """The edition of the notebook JupyterLab runs, read once per version of its file (``stamp``: its mtime)."""
    return notebook_language(Path(path))


@functools.lru_cache(maxsize=16)
def _folder_language(folder: str) -> str | None:
    """The edition of the notebooks in ``folder`` when they all share one (nbgrader runs a submission in a folder of
    its own), else None."""
    found = {notebook_language(path) for path in Path(folder).glob("*.ipynb")}
    return found.pop() if len(found) == 1 and None not in found else None


def language() -> str:
    """The edition the running code belongs to: ``COURSEKIT_LANG`` when set (``coursekit run`` sets it from the
    notebook); else the language of the notebook JupyterLab runs (jupyter-server names it in ``JPY_SESSION_NAME``);
    else that of the notebooks in the working folder, when they agree; else English."""
    chosen = os.environ.get(LANG_ENV, "").strip()
    if chosen:
        check_language(chosen)
        return chosen
    session = os.environ.get("JPY_SESSION_NAME", "")
    found = _session_language(session, os.path.getmtime(session)) if session.endswith(".ipynb") and os.path.isfile(
        session) else None
    if found in LANGUAGES:
        return found
    found = _folder_language(os.getcwd())
    return found if found in LANGUAGES else "en"


@functools.lru_cache(maxsize=4)
def _messages(lang: str, stamp: float) -> dict[tuple[str, str], str]:
    """{(key, English): French} of the current, non-fuzzy entries of the messages catalog (``stamp``: its mtime)."""
    return {(entry.msgctxt, entry.msgid): entry.msgstr for entry in read_catalog(messages_catalog_path(lang))
            if not entry.obsolete and entry.msgstr and not entry.fuzzy}


def translate(text: str, key: str) -> str:
    """``text`` (an English message template, known to the catalog under ``key``) in the running edition's language:
    its French when the edition is French and the catalog holds a current translation, else ``text`` itself."""
    lang = language()
    if lang == "en":
        return text
    path = messages_catalog_path(lang)
    stamp = path.stat().st_mtime if path.is_file() else 0.0
    return _messages(lang, stamp).get((key, text), text)
