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

What the notebooks' code prints and draws is translated where it is shown (``speak_edition``, ``ShownWords``): the
code stays the same in both editions.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import os
import re
import sys
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


# ---------------------------------------------------------------------------------------------------------------
# What the notebooks' code cells show (the lines they print, the words of their figures), in the edition's language
# ---------------------------------------------------------------------------------------------------------------
#
# The code is the same in both editions, so its strings are translated where they are shown, not in the code. Each
# notebook's catalog holds the string literals its code cells show (``coursekit.editions.shown_strings``), written
# as in the code: ``f"✓ {name}: Gram loss {history[0]:.3g}"`` and its French, with the same placeholders. Each line
# of such a literal becomes a pattern (its text, each placeholder any text); a line printed or drawn that the
# pattern matches is rewritten with the French words around the same values. ``speak_edition`` (``ck.setup``
# calls it) puts the translation on the kernel's standard output and on every text of matplotlib's as it is set.

def literal_parts(literal: str) -> list:
    """The parts of one string literal written as in code: its text (str) and its placeholders (a 1-tuple holding
    the expression of an f-string's ``{expression:spec}``), in order. SyntaxError if ``literal`` is not one."""
    node = ast.parse(f"({literal}\n)", mode="eval").body
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if not isinstance(node, ast.JoinedStr):
        raise SyntaxError(f"not one string literal: {literal!r}")
    return [part.value if isinstance(part, ast.Constant) else (ast.unparse(part.value),) for part in node.values]


def _lines(parts: list) -> list[list]:
    """``literal_parts`` cut into lines: a list of parts per line."""
    lines, line = [], []
    for part in parts:
        pieces = part.split("\n") if isinstance(part, str) else [part]
        for k, piece in enumerate(pieces):
            if k:
                lines.append(line)
                line = []
            if piece != "":
                line.append(piece)
    return [*lines, line]


def letters(text: str) -> int:
    """How many letters ``text`` holds (in any script; not digits or underscores)."""
    return len(re.findall(r"[^\W\d_]", text))


def _inside_word(text: str, at: int) -> bool:
    """Whether ``at`` cuts a word of ``text`` in two."""
    return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()


@dataclass(frozen=True)
class _Line:
    """One line of a shown literal: its English parts, its French parts (each placeholder the index of the English
    one whose value it takes), its letters (the more, the more specific) and its rank (0: the running notebook's,
    1: another notebook's, 2: coursekit's own)."""

    english: tuple
    french: tuple
    letters: int
    rank: int

    def pattern(self, inside: bool = False) -> re.Pattern:
        """The English as a regular expression, each placeholder a group: any text between words. ``inside``: found
        inside a longer line, so a placeholder at either end is one value without spaces, and the pattern does not
        begin or end inside a word."""
        last = len(self.english) - 1
        body = "".join(re.escape(part) if isinstance(part, str) else r"(\S+)" if inside and k in (0, last) else "(.*?)"
                       for k, part in enumerate(self.english))
        if inside:
            body = ("(?<!\\w)" if re.match(r"\w", body) else "") + body + ("(?!\\w)" if re.search(r"\w$", body) else "")
        return re.compile(body)

    @property
    def placeholders(self) -> int:
        return sum(isinstance(part, tuple) for part in self.english)


def _line_table(english: str, french: str, rank: int = 1) -> list[_Line]:
    """The lines of one catalog entry; none when its lines or placeholders do not correspond."""
    en_lines, fr_lines = _lines(literal_parts(english)), _lines(literal_parts(french))
    if len(en_lines) != len(fr_lines):
        return []
    table = []
    for en, fr in zip(en_lines, fr_lines):
        slots = [part[0] for part in en if isinstance(part, tuple)]
        count = sum(letters(part) for part in en if isinstance(part, str))
        if count < 2 or any(isinstance(p, tuple) and p[0] not in slots for p in fr):
            continue
        table.append(_Line(tuple(en), tuple(part if isinstance(part, str) else (slots.index(part[0]),) for part in fr),
                           count, rank))
    return table


def _key(line: _Line) -> str:
    """The longest piece of words of ``line``'s English: any text it matches holds it."""
    return max((part for part in line.english if isinstance(part, str)), key=len, default="")


class ShownWords:
    """The translations of the shown literals of the notebooks and of coursekit for one language, ``translate(text)``:
    a line a literal matches whole (or begins with, a print's other values after it) is shown in French with the
    same values; inside any line, a literal of several words, or one whose placeholders lie between words, is too;
    a value that is itself a shown literal (a name from a table of the notebook) is translated as well. The same
    English in two places takes the running notebook's French first."""

    def __init__(self, pairs: list[tuple[str, str]] | list[tuple[str, str, int]]):
        lines = [line for english, french, *rank in pairs for line in _line_table(english, french, *rank)]
        lines.sort(key=lambda line: (-line.letters, line.rank))
        # (line, its English as a whole line, as a line's beginning when it ends in words, a piece of text that any
        # line it matches holds: a cheap test before the regular expressions)
        self.lines = [(line, whole, None if isinstance(line.english[-1], tuple) else whole, _key(line))
                      for line, whole in ((line, line.pattern()) for line in lines)]
        self.inside = [(line, line.pattern(inside=True), _key(line)) for line in lines  # several words, or placeholders
                       if (line.placeholders == 0 and " " in "".join(line.english).strip())  # between words
                       or (line.placeholders > 0 and line.letters >= 6)]
        self._done: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for line in lines:
            if line.placeholders == 0:
                self.names.setdefault(line.english[0], "".join(line.french))

    def _render(self, line: _Line, match: re.Match) -> str:
        return "".join(part if isinstance(part, str) else self._value(match.group(part[0] + 1)) for part in line.french)

    def _value(self, value: str) -> str:
        """A placeholder's value: in French when it is itself a shown literal (a name from a table of the notebook;
        its padding kept), else with the shown literals inside it in French."""
        name = value.strip()
        return value.replace(name, self.names[name]) if name in self.names else self._inside(value)

    def _inside(self, text: str) -> str:
        for line, pattern, key in self.inside:
            if key in text:
                text = pattern.sub(lambda match, line=line: self._render(line, match), text)
        return text

    def _line(self, text: str) -> str:
        """One line: the literal that matches it whole or begins it and explains the most of its words (its own
        letters and those of the names in its values; a whole line first, then the running notebook's), in French,
        then the literals inside the rest."""
        if letters(text) < 2:
            return text
        best = None
        for line, whole, head, key in self.lines:
            if key not in text:
                continue
            match = whole.fullmatch(text)
            if match is None and head is not None:
                match = head.match(text)
                match = None if match is None or _inside_word(text, match.end()) else match
            if match is None:
                continue
            named = sum(letters(value) for value in match.groups() if value.strip() in self.names)
            score = (line.letters + named, match.end() == len(text), -line.rank)
            if best is None or score > best[0]:
                best = score, line, match
        if best is None:
            return self._inside(text)
        _, line, match = best
        return self._render(line, match) + self._inside(text[match.end():])

    def translate(self, text: str) -> str:
        """``text`` (printed or drawn, any number of lines), each line in French where shown literals match it."""
        french = self._done.get(text)
        if french is None:
            french = "\n".join(self._line(line) for line in text.split("\n"))
            if len(self._done) < 100_000:  # a figure's tick labels are set again at every draw: look them up once
                self._done[text] = french
        return french


def _code_key(key: str) -> bool:
    return ":" in key  # a shown literal (cell id:place, or plot:place); a markdown cell's key is its id


def library_catalog_path(lang: str = "fr") -> Path:
    """The catalog of the words coursekit's own figures show (``coursekit.plot``'s titles and labels)."""
    check_language(lang, english=False)
    return LOCALE_DIR / lang / "coursekit.po"


@functools.lru_cache(maxsize=8)
def _shown_words(lang: str, stamps: tuple) -> ShownWords:
    pairs = []
    for path, _, rank in stamps:
        pairs += [(entry.msgid, entry.msgstr, rank) for entry in read_catalog(Path(path))
                  if _code_key(entry.msgctxt or "") and entry.msgstr and not entry.fuzzy and not entry.obsolete]
    return ShownWords(pairs)


def shown_words(lang: str, notebook: str | None = None) -> ShownWords:
    """The shown literals of every notebook's catalog and of coursekit's for ``lang``, ``notebook``'s (a notebook's
    name, e.g. ``01_neurons_and_relu``) first; read once per version of the catalogs."""
    check_language(lang, english=False)
    paths = sorted((LOCALE_DIR / lang / "notebooks").glob("*.po")) + [library_catalog_path(lang)]
    ranks = [0 if path.stem == notebook else 2 if path == library_catalog_path(lang) else 1 for path in paths]
    return _shown_words(lang, tuple((str(path), path.stat().st_mtime, rank) for path, rank in zip(paths, ranks)
                                    if path.is_file()))


def running_notebook() -> str | None:
    """The name of the notebook this kernel runs, when it is known: JupyterLab's session (``JPY_SESSION_NAME``,
    which ``coursekit run`` sets too), else the one notebook of the working folder (nbgrader's); None otherwise."""
    session = os.environ.get("JPY_SESSION_NAME", "")
    if session.endswith(".ipynb"):
        return Path(session).stem
    found = list(Path.cwd().glob("*.ipynb"))
    return found[0].stem if len(found) == 1 else None


class _TranslatedStream(io.TextIOBase):
    """A text stream that writes each finished line through ``translate`` into ``stream``; the rest of a line waits
    for its end or for a flush. A carriage return (a progress bar redrawn in place) is written through at once."""

    def __init__(self, stream, translate):
        self.stream, self._translate, self._pending = stream, translate, ""

    def write(self, text: str) -> int:
        self._pending += text
        if "\r" in self._pending:
            self.stream.write(self._pending)
            self._pending = ""
        elif "\n" in self._pending:
            done, self._pending = self._pending.rsplit("\n", 1)
            self.stream.write(self._translate(done) + "\n")
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(self._translate(self._pending))
            self._pending = ""
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def speak_edition() -> str:
    """Show what the notebook's code prints and draws in the running edition's language (``language()``): its
    standard output translated line by line, each of matplotlib's texts as it is set (before any layout, so that a
    figure is laid out for its French words), and the labels of its widgets. Nothing changes in English. Returns the
    language."""
    lang = language()
    if lang == "en":
        return lang
    translate = shown_words(lang, running_notebook()).translate  # read now, once: a broken catalog fails here
    if not isinstance(sys.stdout, _TranslatedStream):
        sys.stdout = _TranslatedStream(sys.stdout, translate)
    import matplotlib.text

    set_text = matplotlib.text.Text.set_text
    if not getattr(set_text, "translates", False):
        def translated_set_text(text, s):  # every word of a figure: titles, labels, legends, a bar chart's names
            return set_text(text, s if s is None else translate(str(s)))

        translated_set_text.translates = True
        matplotlib.text.Text.set_text = translated_set_text
    from ipywidgets.widgets.widget_description import DescriptionWidget

    init = DescriptionWidget.__init__
    if not getattr(init, "translates", False):
        def translated_init(widget, *args, **kwargs):  # a slider's or a menu's label
            if kwargs.get("description"):
                kwargs["description"] = translate(str(kwargs["description"]))
            init(widget, *args, **kwargs)

        translated_init.translates = True
        DescriptionWidget.__init__ = translated_init
    return lang
