"""The French edition: catalogs kept current with the English notebooks, French notebooks made from them (same code),
French typography, the glossary."""

import re
import string

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit import checks, editions, glossary, i18n, notebooks
from coursekit.environment import notebooks_dir
from coursekit.homework import LECTURE

NOTEBOOKS = notebooks.available()
NBSP = "\u00a0\u202f"
TITLES = sorted({title.replace("*", "") for title, *_ in LECTURE}, key=len, reverse=True)
# what typography leaves alone: code, math, link targets, URLs, HTML tags
PROTECTED = re.compile(r"```.*?```|\$\$.*?\$\$|\$[^$\n]+?\$|`[^`\n]+`|\]\([^)]*\)|<[^>\n]+>|https?://\S+", re.S)


def _notebook(tmp_path, sources: dict[str, str]):
    nb = new_notebook(cells=[new_markdown_cell(text, id=cell_id) if not cell_id.startswith("code")
                             else new_code_cell(text, id=cell_id) for cell_id, text in sources.items()])
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def _translate(path, french: dict[str, str]):
    catalog = i18n.read_catalog(editions.catalog_path(path))
    for entry in catalog:
        if entry.msgctxt in french:
            entry.msgstr, entry.flags = french[entry.msgctxt], []
    i18n.write_catalog(catalog, editions.catalog_path(path))


def test_a_changed_cell_keeps_its_french_marked_fuzzy_and_a_removed_one_becomes_obsolete(tmp_path, monkeypatch):
    monkeypatch.setattr(editions, "LOCALE_DIR", tmp_path / "locale")
    path = _notebook(tmp_path, {"a": "# Title", "code1": "x = 1  # a comment", "b": "Some prose.", "c": "More."})
    assert editions.update_catalog(path) == i18n.Status(translated=0, fuzzy=0, missing=3, obsolete=0)
    _translate(path, {"a": "# Titre", "b": "De la prose.", "c": "Encore."})
    assert editions.update_catalog(path).complete
    french = editions.translated_notebook(path)
    assert [cell.source for cell in french.cells] == ["# Titre", "x = 1  # a comment", "De la prose.", "Encore."]
    assert [cell.id for cell in french.cells] == ["a", "code1", "b", "c"] and french.metadata["language"] == "fr"

    _notebook(tmp_path, {"a": "# Title", "code1": "x = 1  # a comment", "b": "Some changed prose.", "d": "New."})
    state = editions.update_catalog(path)
    assert state == i18n.Status(translated=1, fuzzy=1, missing=1, obsolete=1) and not state.complete
    catalog = i18n.read_catalog(editions.catalog_path(path))
    changed = i18n.current(catalog)["b"]
    assert changed.fuzzy and changed.msgstr == "De la prose." and changed.previous_msgid == "Some prose."
    assert [entry.msgstr for entry in catalog.obsolete_entries()] == ["Encore."]
    assert "#| msgid \"Some prose.\"" in editions.catalog_path(path).read_text(), "what a translator sees changed"
    with pytest.raises(LookupError, match="2 markdown cells have no current fr translation"):
        editions.translated_notebook(path)
    assert editions.translated_notebook(path, strict=False).cells[2].source == "Some changed prose.", "fuzzy: unused"
    before = editions.catalog_path(path).read_bytes()
    editions.update_catalog(path)
    assert editions.catalog_path(path).read_bytes() == before, "an update that changes nothing writes the same bytes"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="languages are en, fr"):
        editions.edition_dir("de")


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_every_markdown_cell_and_shown_literal_has_a_current_french_translation(name):
    state = editions.status(NOTEBOOKS[name])
    assert state.complete, (f"{NOTEBOOKS[name].name}: {state}; run `coursekit translate` and translate "
                            f"{editions.catalog_path(NOTEBOOKS[name])}")


def test_every_word_coursekits_figures_show_has_a_current_french_translation():
    state = editions.library_status()
    assert state.complete, f"{state}; run `coursekit translate` and translate {i18n.library_catalog_path()}"


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_french_notebook_is_the_english_code_with_the_catalogs_words(name):
    english = nbformat.read(NOTEBOOKS[name], as_version=4)
    french = nbformat.read(editions.edition_dir("fr") / NOTEBOOKS[name].name, as_version=4)
    assert [(c.id, c.cell_type, c.metadata) for c in french.cells] == [(c.id, c.cell_type, c.metadata)
                                                                      for c in english.cells]
    assert [c.source for c in french.cells if c.cell_type == "code"] == [c.source for c in english.cells
                                                                         if c.cell_type == "code"]
    assert french == editions.translated_notebook(NOTEBOOKS[name]), "notebooks/fr/ is stale: run `coursekit translate`"


def _prose(text: str) -> str:
    text = re.sub(r"\[[^\]]*\]\(https?://[^)]*\)", " ", text)  # a cited title keeps its own spacing
    text = PROTECTED.sub(" ", text)
    for title in TITLES:  # the lecture's titles keep their own punctuation
        text = text.replace(title, " ")
    return text


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_french_follows_french_typography_and_keeps_the_lectures_titles(name):
    english = nbformat.read(NOTEBOOKS[name], as_version=4)
    french = editions.translated_notebook(NOTEBOOKS[name], strict=False)
    problems = []
    for en, fr in zip(english.cells, french.cells):
        if fr.cell_type != "markdown" or en.source == fr.source:
            continue
        for title in TITLES:
            if f"«{title}»" in en.source.replace("*", "") and title not in fr.source.replace("*", ""):
                problems.append(f"{fr.id}: the lecture's title «{title}» is not kept verbatim")
        if sorted(PROTECTED.findall(en.source)) != sorted(x.replace("glossaire.md", "glossary.md")
                                                          for x in PROTECTED.findall(fr.source)):
            problems.append(f"{fr.id}: code, math or a link target differs from the English")
        text = _prose(fr.source)
        for match in re.finditer(r"(.)([:;?!])(?=\s|$)|«(.)|(.)»", text):
            before, mark, after_open, before_close = match.groups()
            if (mark and before not in NBSP) or (after_open is not None and after_open not in NBSP) or (
                    before_close is not None and before_close not in NBSP):
                around = text[max(0, match.start() - 20):match.end() + 10]
                problems.append(f"{fr.id}: a non-breaking space is missing: …{around!r}")
    assert not problems, "\n".join(problems[:20])


def test_the_glossary_files_are_current_and_hold_the_terms_students_trip_on():
    for lang, name in glossary.FILES.items():
        assert (notebooks_dir() / name).read_text(encoding="utf-8") == glossary.markdown(lang), (
            f"notebooks/{name} is stale: run `coursekit translate`")
    french = {fr: en for fr, en, *_ in glossary.GLOSSARY}
    for term in ("exactitude", "étiquette", "rétropropagation", "apprentissage profond", "ensemble d'entraînement",
                 "ensemble de test", "surapprentissage, sur-apprentissage", "réseaux génératifs adversariaux (GAN)",
                 "arêtes, contours"):
        assert term in french, term
    assert french["exactitude"] == "accuracy" and "false friend" in dict(
        (fr, note) for fr, _, note, _ in glossary.GLOSSARY)["exactitude"]
    assert sum(fr.startswith("biais") for fr in french) == 2, "the two senses of «biais»"
    assert all(fr and en for fr, en in french.items())
    for lang in ("en", "fr"):
        assert all(f"]({glossary.FILES[lang].name})" in nb.cells[0].source for nb in
                   (nbformat.read(editions.edition_dir(lang) / path.name, as_version=4) for path in NOTEBOOKS.values())
                   ), f"every {lang} notebook links to its glossary"


SHOWN = '''\
%matplotlib inline
def helper(x):
    """A docstring: code, not shown."""
    return x
labels = {"too small": 0.01, "fastest": 0.2, "conv1": 3}
fig, ax = plt.subplots()
ax.imshow(image, cmap="gray")
ax.set_title(f"step {step}: loss {loss:.2f}")
ax.set_xlabel("learning rate η")
ax.plot(x, label="training")
print("✓ the loss falls:", {k: round(v, 2) for k, v in labels.items()})
assert loss < 1, f"the loss is {loss}"
value = scores["held-out fonts"]
'''


def test_the_shown_literals_are_those_printed_or_drawn_and_not_code():
    assert editions.shown_strings(SHOWN) == ['"too small"', '"fastest"', 'f"step {step}: loss {loss:.2f}"',
                                             '"learning rate η"', '"training"', '"✓ the loss falls:"']


def test_what_the_code_shows_is_translated_line_by_line_with_its_values():
    words = i18n.ShownWords([('f"step {step}: loss {loss:.2f}"', 'f"pas {step}\u00a0: perte {loss:.2f}"'),
                             (r'f"{name}\nH = {h:.2f} after {n} steps"', r'f"{name}\nH = {h:.2f} après {n} pas"'),
                             ('"✓ the loss falls:"', '"✓ la perte descend\u00a0:"'),
                             ('"steps on"', '"pas sur"'), ('"made by:"', '"produit par\u00a0:"'),
                             ('"too small"', '"trop petit"')])
    assert words.translate("step 12: loss 0.25") == "pas 12\u00a0: perte 0.25"
    assert words.translate("too small\nH = 0.10 after 40 steps") == "trop petit\nH = 0.10 après 40 pas"
    assert words.translate("✓ the loss falls: {'a': 0.1}") == "✓ la perte descend\u00a0: {'a': 0.1}"  # print's values
    assert words.translate("made by: train · 2000 steps on digits") == "produit par\u00a0: train · 2000 pas sur digits"
    assert words.translate("too smaller") == "too smaller" and words.translate("a line of data") == "a line of data"


def test_the_french_edition_prints_draws_and_labels_its_widgets_in_french(tmp_path, monkeypatch, capsys):
    import ipywidgets
    import matplotlib
    from ipywidgets.widgets.widget_description import DescriptionWidget

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    english = i18n.current(i18n.read_catalog(editions.catalog_path(NOTEBOOKS["07"])))
    entry = next(e for e in english.values() if e.msgid == '"modes covered"')
    set_text = matplotlib.text.Text.set_text
    monkeypatch.setattr(i18n.sys, "stdout", i18n.sys.stdout)  # speak_edition's stream is undone after the test
    monkeypatch.setattr(matplotlib.text.Text, "set_text", set_text)
    monkeypatch.setattr(DescriptionWidget, "__init__", DescriptionWidget.__init__)
    monkeypatch.setenv("COURSEKIT_LANG", "en")
    assert i18n.speak_edition() == "en" and matplotlib.text.Text.set_text is set_text, "English: nothing changes"
    monkeypatch.setenv("COURSEKIT_LANG", "fr")
    assert i18n.speak_edition() == "fr"
    print("modes covered")
    i18n.sys.stdout.flush()
    fig, (ax, bars) = plt.subplots(1, 2)
    ax.set_ylabel("modes covered")
    bars.barh(["modes covered", "1,000 parameters"], [1, 2])  # names on an axis, made as it is laid out
    fig.savefig(tmp_path / "figure.png")
    plt.close(fig)
    french = i18n.literal_parts(entry.msgstr)[0]
    assert capsys.readouterr().out == french + "\n" and ax.get_ylabel() == french != "modes covered"
    assert [label.get_text() for label in bars.get_yticklabels()] == [french, "1,000 parameters"]
    snapshot = next(e for e in i18n.current(i18n.read_catalog(editions.catalog_path(NOTEBOOKS["07"]))).values()
                    if e.msgid == '"snapshot"')
    assert ipywidgets.IntSlider(description="snapshot").description == i18n.literal_parts(snapshot.msgstr)[0]


def _shown(parts: list, values: dict) -> str:
    return "".join(part if isinstance(part, str) else values.setdefault(part[0], f"⟨{len(values)}⟩") for part in parts)


@pytest.mark.parametrize("name", [*sorted(NOTEBOOKS), "coursekit"])
def test_every_shown_literal_is_shown_in_french_with_its_values(name):
    """Each line of each shown literal, with sample values in its placeholders, is shown as its French with the same
    values (so the same English is translated one way in every notebook, and every French keeps the English's
    placeholders and lines); the French follows French typography."""
    catalog = i18n.library_catalog_path() if name == "coursekit" else editions.catalog_path(NOTEBOOKS[name])
    words = i18n.shown_words("fr", None if name == "coursekit" else NOTEBOOKS[name].stem)
    problems = []
    for entry in i18n.current(i18n.read_catalog(catalog)).values():
        if ":" not in entry.msgctxt:
            continue
        english, french = i18n.literal_parts(entry.msgid), i18n.literal_parts(entry.msgstr)
        values: dict = {}
        shown = _shown(english, values)
        expected = [fr if i18n.letters("".join(p for p in en if isinstance(p, str))) >= 2 else line
                    for en, line, fr in zip(i18n._lines(english), shown.split("\n"),
                                            _shown(french, values).split("\n"))]
        if sorted(p for p in english if isinstance(p, tuple)) != sorted(p for p in french if isinstance(p, tuple)):
            problems.append(f"{entry.msgctxt}: other placeholders than the English")
        elif words.translate(shown) != "\n".join(expected):
            problems.append(f"{entry.msgctxt}: {shown!r} is shown as {words.translate(shown)!r}")
        text = "".join(p for p in french if isinstance(p, str))
        if re.search(r"(?<=[^\s" + NBSP + r"])[ ]?[:;?!](?=\s|$)", text):
            problems.append(f"{entry.msgctxt}: no non-breaking space before : ; ? ! in {text!r}")
    assert not problems, problems


def _fields(template: str) -> list:
    return sorted((name, spec) for _, name, spec, _ in string.Formatter().parse(template) if name is not None)


def test_every_check_message_has_a_current_french_translation_with_the_same_placeholders():
    path = i18n.messages_catalog_path()
    state = i18n.entries_status(path, checks.messages())
    assert state.complete, f"{state}; run `coursekit translate` and translate {path}"
    french = i18n.current(i18n.read_catalog(path))
    wrong = [key for key, english in checks.messages() if _fields(english) != _fields(french[key].msgstr)]
    assert not wrong, f"the French of these messages has other placeholders than the English: {wrong}"


def test_the_checks_speak_the_language_of_the_edition(monkeypatch, capsys):
    def relu(x):
        return x.clamp(max=0)  # the negative part: wrong

    french = i18n.current(i18n.read_catalog(i18n.messages_catalog_path()))
    monkeypatch.setenv("COURSEKIT_LANG", "fr")
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_relu(relu)
    hint = checks.check_relu.hints[failed.value.key]
    assert str(failed.value) == "✗ " + french[f"relu:{failed.value.key}"].msgstr.format(name="relu") != "✗ " + hint
    checks.check_relu(lambda x: x.clamp(min=0))
    assert capsys.readouterr().out.strip() == french["core:passes"].msgstr.format(name="relu")
    monkeypatch.setenv("COURSEKIT_LANG", "en")
    checks.check_relu(lambda x: x.clamp(min=0))
    assert capsys.readouterr().out.strip() == "✓ relu passes all checks."


def test_the_edition_is_that_of_the_notebook_being_run(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert i18n.language() == "en"
    french = editions.edition_dir("fr") / NOTEBOOKS["06"].name
    monkeypatch.setenv("JPY_SESSION_NAME", str(french))  # what jupyter-server tells the kernels JupyterLab starts
    assert i18n.language() == "fr"
    monkeypatch.setenv("JPY_SESSION_NAME", str(NOTEBOOKS["06"]))
    assert i18n.language() == "en"
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.chdir(french.parent)  # nbgrader runs a notebook in its own folder
    assert i18n.language() == "fr"
    monkeypatch.setenv("COURSEKIT_LANG", "en")
    assert i18n.language() == "en"
    monkeypatch.setenv("COURSEKIT_LANG", "de")
    with pytest.raises(ValueError, match="languages are en, fr"):
        i18n.language()


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_the_french_duration_counts_the_french_words(name):
    """The French introduction states the French edition's own word count (French runs longer than English), within
    10%, as the English one does its own (tests/test_homework.py)."""
    from coursekit.grading import lab_facts

    french = editions.edition_dir("fr") / NOTEBOOKS[name].name
    intro = nbformat.read(french, as_version=4).cells[0].source
    stated = int(re.search(r"\*\*Durée prévue\.\*\*.*?([\d\u00a0 ]+) mots", intro, re.S).group(1).replace("\u00a0", ""))
    counted = lab_facts(french)["words"]
    assert abs(stated - counted) <= 0.1 * counted, (name, stated, counted)
