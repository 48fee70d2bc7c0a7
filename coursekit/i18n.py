"""The French edition: built from the English notebooks and translation catalogs, never edited by hand.

The English notebooks in ``notebooks/`` are the one source of code. Their words are translated in gettext catalogs,
the format translators' tools read (Poedit, Weblate, Lokalize), one per notebook:

    locale/fr/notebooks/06_style_transfer.po

Each markdown cell is one entry, keyed by the cell's id (``msgctxt``) and holding its English source (``msgid``) and
its French (``msgstr``). ``update_catalog`` brings a catalog up to date with its notebook:

- a new cell gets an empty entry (missing);
- a changed cell keeps its French, marked ``fuzzy``, with the English it translated as ``#| msgid`` beside the new
  one: a translator sees what changed, and the edition does not use it until the mark is removed;
- a removed cell's entry becomes obsolete (``#~``), kept for a translator to reuse, and used nowhere.

``translated_notebook`` makes the French notebook: the same cells, ids and metadata, the same code, and each
markdown cell's current French (``notebooks/fr/``, written by ``coursekit translate``). ``status`` counts what is
translated, fuzzy, missing and obsolete; the tests insist on a complete, current catalog.

The messages coursekit prints, the exercise checks' verdicts and hints, are templates translated the same way in
``locale/fr/checks.po`` (keyed by check and hint, ``coursekit.checks.messages``). ``translate(text, key)`` gives a
template in the running edition's language, which ``language()`` finds without a line of code in the notebook:
``COURSEKIT_LANG`` (``coursekit run`` sets it), else the notebook JupyterLab runs, else the notebooks of the working
folder (nbgrader's).
"""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from coursekit.environment import LANG_ENV, PROJECT_ROOT, notebooks_dir, write_atomically

LANGUAGES = ("en", "fr")
LOCALE_DIR = PROJECT_ROOT / "locale"
PO_WIDTH = 118  # lines of a catalog, as wide as the notebooks' prose


def edition_dir(lang: str) -> Path:
    """Where the notebooks of an edition are: ``notebooks/`` for English, ``notebooks/fr/`` for French."""
    _check_lang(lang)
    return notebooks_dir() if lang == "en" else notebooks_dir() / lang


def catalog_path(notebook: Path, lang: str = "fr") -> Path:
    """The catalog of ``notebook`` (an English notebook's path or name) for ``lang``."""
    _check_lang(lang, english=False)
    return LOCALE_DIR / lang / "notebooks" / f"{Path(notebook).stem}.po"


def _check_lang(lang: str, english: bool = True) -> None:
    allowed = LANGUAGES if english else tuple(x for x in LANGUAGES if x != "en")
    if lang not in allowed:
        raise ValueError(f"the course's languages are {', '.join(allowed)}; got {lang!r}.")


def _entries(nb) -> list[tuple[str, str]]:
    """(cell id, English source) of every markdown cell with words in it, in order."""
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


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


def update_catalog(notebook: Path, lang: str = "fr") -> Status:
    """Bring ``notebook``'s catalog up to date with its markdown cells (see the module's docstring) and write it.
    Returns its status."""
    nb = nbformat.read(notebook, as_version=4)
    header = f"{Path(notebook).name}: one entry per markdown cell, keyed by the cell's id"
    return update_entries(catalog_path(notebook, lang), _entries(nb), header)


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


def status(notebook: Path, lang: str = "fr") -> Status:
    """The status of ``notebook``'s catalog, without changing it (see ``entries_status``)."""
    return entries_status(catalog_path(notebook, lang), _entries(nbformat.read(notebook, as_version=4)))


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


def translated_notebook(notebook: Path, lang: str = "fr", strict: bool = True):
    """The ``lang`` edition of ``notebook``: a copy whose markdown cells hold their current translation, every
    other cell, id and metadata unchanged. ``strict``: raise if a cell has no current translation; otherwise such a
    cell stays in English."""
    nb = nbformat.read(notebook, as_version=4)
    entries = current(read_catalog(catalog_path(notebook, lang)))
    out = copy.deepcopy(nb)
    out.metadata["language"] = lang
    untranslated = []
    for cell in out.cells:
        if cell.cell_type != "markdown" or not cell.source.strip():
            continue
        entry = entries.get(cell.id)
        if entry is None or entry.msgid != cell.source or not entry.msgstr or entry.fuzzy:
            untranslated.append(cell.id)
            continue
        cell.source = entry.msgstr
    if strict and untranslated:
        raise LookupError(f"{Path(notebook).name}: {len(untranslated)} markdown cells have no current {lang} "
                          f"translation ({', '.join(untranslated[:5])}{', …' if len(untranslated) > 5 else ''}); "
                          f"translate them in {catalog_path(notebook, lang)}, then run `coursekit translate`.")
    return out


def write_edition(notebook: Path, lang: str = "fr", strict: bool = True) -> Path:
    """Write the ``lang`` edition of ``notebook`` into ``edition_dir(lang)``; returns its path."""
    nb = translated_notebook(notebook, lang, strict)
    path = edition_dir(lang) / Path(notebook).name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, nbformat.writes(nb) + "\n")
    return path


# ---------------------------------------------------------------------------------------------------------------
# Messages printed by coursekit (the checks' hints): gettext's way, a catalog of templates, chosen by the edition
# ---------------------------------------------------------------------------------------------------------------

def messages_catalog_path(lang: str = "fr") -> Path:
    """The catalog of the messages coursekit prints (the exercise checks' verdicts and hints)."""
    _check_lang(lang, english=False)
    return LOCALE_DIR / lang / "checks.po"


def notebook_language(path: Path) -> str | None:
    """The edition of the notebook at ``path`` (its metadata's "language", "en" without one); None if it cannot be
    read."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("metadata", {}).get("language", "en")
    except (OSError, ValueError):
        return None


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
        _check_lang(chosen)
        return chosen
    session = os.environ.get("JPY_SESSION_NAME", "")
    found = notebook_language(Path(session)) if session.endswith(".ipynb") else None
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
