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
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from coursekit.environment import PROJECT_ROOT, notebooks_dir, write_atomically

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
    path = catalog_path(notebook, lang)
    old = read_catalog(path)
    before = current(old)
    new = polib.POFile(wrapwidth=PO_WIDTH)
    new.header = (f"French translation of {Path(notebook).name}: one entry per markdown cell, keyed by the cell's id.\n"
                  "Updated by `coursekit translate`; translate in any gettext editor (Poedit, Weblate).")
    new.metadata = old.metadata
    used = set()
    for cell_id, source in _entries(nb):
        used.add(cell_id)
        entry = polib.POEntry(msgctxt=cell_id, msgid=source, msgstr="")
        was = before.get(cell_id)
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
    return status(notebook, lang)


def status(notebook: Path, lang: str = "fr") -> Status:
    """The status of ``notebook``'s catalog, without changing it: each markdown cell's entry is translated (the
    same English, French, not fuzzy), fuzzy or missing; obsolete entries are counted too."""
    nb = nbformat.read(notebook, as_version=4)
    catalog = read_catalog(catalog_path(notebook, lang))
    entries = current(catalog)
    counts = {"translated": 0, "fuzzy": 0, "missing": 0}
    for cell_id, source in _entries(nb):
        entry = entries.get(cell_id)
        key = ("missing" if entry is None or entry.msgid != source and not entry.msgstr or not entry.msgstr
               else "fuzzy" if entry.fuzzy or entry.msgid != source else "translated")
        counts[key] += 1
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
