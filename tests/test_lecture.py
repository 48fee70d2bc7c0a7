"""The lecture, slide by slide: every title the coverage table gives a notebook is quoted in one of its headings."""

import re

import nbformat
import pytest

from coursekit import homework
from coursekit.environment import PROJECT_ROOT

NOTEBOOKS = {p.name[:2]: p for p in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}


def normal(text: str) -> str:
    """A title as compared: the lecture's *emphasis* and "..." undone, case and spacing ignored, outer «» dropped."""
    text = " ".join(homework.plain_title(text).split()).casefold()
    return text[1:-1] if text.startswith("«") and text.endswith("»") and quoted(text) == [text[1:-1]] else text


def quoted(line: str) -> list[str]:
    """The outermost «…» segments of a line, nested quotes kept inside: "«a «b»» · «c»" → ["a «b»", "c"]."""
    segments, depth, start = [], 0, 0
    for i, char in enumerate(line):
        if char == "«":
            depth += 1
            if depth == 1:
                start = i + 1
        elif char == "»" and depth:
            depth -= 1
            if depth == 0:
                segments.append(line[start:i])
    return segments


def headings(path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [line for cell in nb.cells if cell.cell_type == "markdown" for line in cell.source.splitlines()
            if line.startswith("#")]


def test_quoted_segments_keep_nested_quotes():
    assert quoted("## «Reconnaissance d'objets: approche «traditionnelle»» · «Défi principal»") == [
        "Reconnaissance d'objets: approche «traditionnelle»", "Défi principal"]
    assert normal("«Digital Dark Matter»") == "digital dark matter"
    assert normal("Réseau de neurones *profond*") == normal("Réseau de  neurones profond")


def test_the_table_is_the_whole_lecture_in_order():
    assert sum(count for _, count, _, _ in homework.LECTURE) == 88  # the lecture's titled slides
    assert [title for title, *_ in homework.LECTURE][:3] == [
        "Génération d'images par apprentissage profond", "«Digital Dark Matter»", "Défi principal"]
    assert homework.LECTURE[-1][0] == "Résultats"
    for title, count, notebook, where in homework.LECTURE:
        assert count >= 1 and notebook in NOTEBOOKS and where, title


@pytest.mark.parametrize("row", homework.LECTURE, ids=lambda row: row[0][:40])
def test_each_title_is_quoted_in_a_heading_of_its_notebook(row):
    title, _, notebook, _ = row
    segments = {normal(s) for line in headings(NOTEBOOKS[notebook]) for s in quoted(line)}
    assert normal(title) in segments, f"notebook {notebook} has no heading quoting «{title}»"


def test_a_title_merely_contained_in_a_heading_does_not_count():
    segments = {normal(s) for s in quoted("## «Calculs dans un réseau de neurones»")}
    assert normal("Réseau de neurones") not in segments


def test_readme_shows_the_coverage_table():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert homework.coverage_table() in readme, "README's table differs: paste homework.coverage_table() into it"


def test_each_notebook_lists_its_lecture_slides_in_its_introduction():
    for number, path in NOTEBOOKS.items():
        intro = " ".join(nbformat.read(path, as_version=4).cells[0].source.split())
        listed = re.search(r"Lecture slides: (.*?)\.(?: |$)", intro).group(1)
        for title in homework.LECTURE_SLIDES[number]:
            assert " ".join(title.split()) in listed, f"notebook {number}'s introduction does not list «{title}»"
