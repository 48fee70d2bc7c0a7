"""The French edition of the notebooks: made from the English notebooks and their catalogs, never edited by hand.

The English notebooks in ``notebooks/`` are the one source of code. Each one's words are translated in
``locale/fr/notebooks/NN_name.po``, one entry per markdown cell keyed by the cell's id, and one per string literal
its code cells show (``shown_strings``: printed, or a figure's words), keyed by the cell's id and its place there
(``update_catalog``, the way ``coursekit.i18n`` describes: a changed cell keeps its French marked fuzzy, a removed one
becomes obsolete). The shown strings are not translated in the code but where they are shown
(``coursekit.i18n.speak_edition``).
``translated_notebook`` makes the French notebook: the same cells, ids and metadata, the same code, and each
markdown cell's current French; ``write_edition`` writes it into ``notebooks/fr/`` (``coursekit translate``).
``status`` counts what is translated, fuzzy, missing and obsolete; the tests insist on complete, current catalogs and
on ``notebooks/fr/`` being what they make.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat

from coursekit.environment import notebooks_dir, write_atomically
from coursekit.i18n import (LOCALE_DIR, Status, check_language, current, entries_status, letters,
                            library_catalog_path, read_catalog, update_entries)


def edition_dir(lang: str) -> Path:
    """Where the notebooks of an edition are: ``notebooks/`` for English, ``notebooks/fr/`` for French."""
    check_language(lang)
    return notebooks_dir() if lang == "en" else notebooks_dir() / lang


def catalog_path(notebook: Path, lang: str = "fr") -> Path:
    """The catalog of ``notebook`` (an English notebook's path or name) for ``lang``."""
    check_language(lang, english=False)
    return LOCALE_DIR / lang / "notebooks" / f"{Path(notebook).stem}.po"


# Where a string literal of a code cell is shown to the student: printed, a figure's words, a widget's label
DISPLAY_CALLS = {"print", "set_title", "suptitle", "set_xlabel", "set_ylabel", "xlabel", "ylabel", "title", "text",
                 "annotate", "legend", "set_text", "figtext", "set_label"}
DISPLAY_KEYWORDS = {"title", "titles", "label", "labels", "xlabel", "ylabel", "suptitle", "description"}
# single words that are matplotlib's or torch's vocabulary, not the course's
_CODE_WORDS = {"gray", "grey", "white", "black", "none", "auto", "nearest", "bilinear", "equal", "off", "on",
               "center", "left", "right", "top", "bottom", "initial", "log", "linear", "same", "valid", "mean", "sum",
               "cpu", "cuda", "viridis", "magma", "inferno", "plasma", "cividis"}


def _is_shown(node: ast.expr, parents: dict) -> bool:
    """Whether the string literal ``node`` is words a student sees: an argument of print or of a figure's text
    (``DISPLAY_CALLS``, ``DISPLAY_KEYWORDS``), or words in a table of the cell (a dict or a list of titles); not a
    docstring, an assert's message, an index, a comparison, nor an argument of other calls unless it is prose."""
    text = node.value if isinstance(node, ast.Constant) else "".join(
        part.value for part in node.values if isinstance(part, ast.Constant))
    if letters(text) < 2:
        return False
    prose = bool(re.search(r"\s", text.strip())) or not text.isascii()
    statement = parents.get(node)
    while statement is not None and not isinstance(statement, ast.stmt):
        statement = parents.get(statement)
    if isinstance(statement, (ast.Raise, ast.Assert)):  # an error's message, shown in a traceback
        return False
    child, up = node, parents.get(node)
    while up is not None and not isinstance(up, ast.stmt):
        if isinstance(up, (ast.JoinedStr, ast.FormattedValue, ast.Compare)):
            return False
        if isinstance(up, ast.keyword):
            return up.arg in DISPLAY_KEYWORDS
        if isinstance(up, ast.Subscript) and child is up.slice:
            return False
        if isinstance(up, ast.Call) and child is not up.func:
            name = up.func.attr if isinstance(up.func, ast.Attribute) else getattr(up.func, "id", "")
            return name in DISPLAY_CALLS or ast.unparse(up.func).startswith("ck.plot.") or prose
        child, up = up, parents.get(up)
    if isinstance(up, ast.Expr):  # a docstring
        return False
    return prose or (re.fullmatch(r"[A-Za-z][a-z]+|[A-Z][A-Za-z]+", text) is not None
                     and text.lower() not in _CODE_WORDS)


def shown_strings(source: str) -> list[str]:
    """The string literals of a code cell that a student sees (``_is_shown``), as written in the code (f-strings
    with their placeholders), each once, in reading order."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    tree = ast.parse(code)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    literals = [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                or isinstance(node, ast.Constant) and isinstance(node.value, str)]
    found = sorted((node.lineno, node.col_offset, ast.get_source_segment(code, node)) for node in literals
                   if _is_shown(node, parents))
    return list(dict.fromkeys(segment for *_, segment in found))


def _entries(nb) -> list[tuple[str, str]]:
    """(key, English) of every markdown cell with words in it (key: the cell's id) and of every string a code cell
    shows (key: the cell's id and the string's place among them, ``c07:2``), in order."""
    entries = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            entries.append((cell.id, cell.source))
        elif cell.cell_type == "code":
            entries += [(f"{cell.id}:{k}", text) for k, text in enumerate(shown_strings(cell.source), 1)]
    return entries


# coursekit's modules whose figures show words of their own (the notebooks' own words are in their catalogs)
LIBRARY_FIGURES = ("plot.py",)


def _library_entries() -> list[tuple[str, str]]:
    """(key, English) of the strings coursekit's own figures show: ``plot:3``."""
    package = Path(__file__).resolve().parent
    return [(f"{Path(name).stem}:{k}", text) for name in LIBRARY_FIGURES
            for k, text in enumerate(shown_strings((package / name).read_text(encoding="utf-8")), 1)]


def update_library_catalog(lang: str = "fr") -> Status:
    """Bring the catalog of coursekit's own figures' words (``i18n.library_catalog_path``) up to date; its status."""
    return update_entries(library_catalog_path(lang), _library_entries(), "the words coursekit's own figures show")


def library_status(lang: str = "fr") -> Status:
    return entries_status(library_catalog_path(lang), _library_entries())


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
