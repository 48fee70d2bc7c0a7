"""The French edition of the notebooks: made from the English notebooks and their catalogs, never edited by hand.

The English notebooks in ``notebooks/`` are the one source of code. Each one's words are translated in
``locale/fr/notebooks/NN_name.po``, one entry per markdown cell keyed by the cell's id (``update_catalog``, the way
``coursekit.i18n`` describes: a changed cell keeps its French marked fuzzy, a removed one becomes obsolete).
``translated_notebook`` makes the French notebook: the same cells, ids and metadata, the same code, and each
markdown cell's current French; ``write_edition`` writes it into ``notebooks/fr/`` (``coursekit translate``).
``status`` counts what is translated, fuzzy, missing and obsolete; the tests insist on complete, current catalogs and
on ``notebooks/fr/`` being what they make.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from coursekit.environment import notebooks_dir, write_atomically
from coursekit.i18n import LOCALE_DIR, Status, check_language, current, entries_status, read_catalog, update_entries


def edition_dir(lang: str) -> Path:
    """Where the notebooks of an edition are: ``notebooks/`` for English, ``notebooks/fr/`` for French."""
    check_language(lang)
    return notebooks_dir() if lang == "en" else notebooks_dir() / lang


def catalog_path(notebook: Path, lang: str = "fr") -> Path:
    """The catalog of ``notebook`` (an English notebook's path or name) for ``lang``."""
    check_language(lang, english=False)
    return LOCALE_DIR / lang / "notebooks" / f"{Path(notebook).stem}.po"


def _entries(nb) -> list[tuple[str, str]]:
    """(cell id, English source) of every markdown cell with words in it, in order."""
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "markdown" and cell.source.strip()]


def update_catalog(notebook: Path, lang: str = "fr") -> Status:
    """Bring ``notebook``'s catalog up to date with its markdown cells (see the module's docstring) and write it.
    Returns its status."""
    nb = nbformat.read(notebook, as_version=4)
    header = f"{Path(notebook).name}: one entry per markdown cell, keyed by the cell's id"
    return update_entries(catalog_path(notebook, lang), _entries(nb), header)


def status(notebook: Path, lang: str = "fr") -> Status:
    """The status of ``notebook``'s catalog, without changing it (see ``entries_status``)."""
    return entries_status(catalog_path(notebook, lang), _entries(nbformat.read(notebook, as_version=4)))


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
