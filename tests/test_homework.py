"""Student versions, slides and nbgrader: what instructors hand out and present, made from the source notebooks."""

import html
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from coursekit import homework, notebooks

NOTEBOOKS = notebooks.available()


def _solution_lines(nb) -> list[str]:
    """The non-blank lines between the solution markers of a source notebook."""
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_student_version_has_no_solutions_no_hidden_tests_no_outputs(number):
    source = nbformat.read(NOTEBOOKS[number], as_version=4)
    student = homework.student_notebook(NOTEBOOKS[number])
    text = "\n".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    for line in _solution_lines(source):
        assert line not in text, f"solution code left in the student version: {line!r}"
    exercises = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution")]
    checks = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all("raise NotImplementedError()" in c.source for c in exercises)
    assert all(c.metadata.get("editable") is False for c in checks), "check cells are locked"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert len(exercises) == len(_solution_cells(source))


def _solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def test_every_exercise_is_followed_by_its_check_and_a_fallback():
    for number, path in NOTEBOOKS.items():
        cells = nbformat.read(path, as_version=4).cells
        for k, cell in enumerate(cells):
            if cell.metadata.get("nbgrader", {}).get("solution"):
                name = re.match(r"def (\w+)\(", cell.source).group(1)
                following = cells[k + 1]
                assert following.metadata.get("nbgrader", {}).get("grade"), f"{number}: no check after {name}"
                assert f"ck.checks.check_{name}({name})" in following.source
                later = "\n".join(c.source for c in cells[k + 1:])
                assert f"{name} = ck.checks.working({name}," in later, f"{number}: {name} has no fallback"


def test_write_student_writes_every_notebook(tmp_path):
    written = homework.write_student(list(NOTEBOOKS.values()), tmp_path)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS.values()]
    assert not list(tmp_path.glob("*.partial"))
    for path in written:
        nbformat.validate(nbformat.read(path, as_version=4))


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_deck_has_ten_slides_and_the_lecture_titles(number):
    deck = homework.slides_html(nbformat.read(NOTEBOOKS[number], as_version=4))
    assert homework.count_slides(deck) >= 10
    text = html.unescape(re.sub(r"<[^>]+>", " ", deck))
    for title in homework.LECTURE_SLIDES[number]:
        assert title in text, f"deck {number} lacks the lecture slide «{title}»"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_student_version_runs_with_not_implemented_messages(number):
    """Executed as a student first gets it: no error, each check says "not implemented yet", and the cells after it
    use the reference."""
    student = homework.student_notebook(NOTEBOOKS[number])
    if not any(c.metadata.get("nbgrader", {}).get("solution") for c in student.cells):
        pytest.skip(f"notebook {number} has no exercise: its student version is the notebook itself, which nbval runs")
    error = notebooks.run_cells(student, NOTEBOOKS[number].parent, timeout=600)
    assert error == "" or error.startswith("NotImplementedError"), error
    printed = ["".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
               for c in student.cells if c.cell_type == "code"]
    checks = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for cell in checks:
        out = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "is not implemented yet" in out, cell.source
    assert sum(p.count("Using the reference") for p in printed) >= len(checks), "later cells say they fall back"


def test_count_slides_counts_leaf_sections():
    deck = "<div><section><section>a</section><section>b</section></section><section><section>c</section></section>"
    assert homework.count_slides(deck + "</div>") == 3


def test_nbgrader_generate_assignment_accepts_the_sources(tmp_path):
    source = tmp_path / "source" / "course"
    source.mkdir(parents=True)
    for path in NOTEBOOKS.values():
        shutil.copy(path, source / path.name)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = '.'\n")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "course", "--force"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    released = sorted(p.name for p in (tmp_path / "release" / "course").glob("*.ipynb"))
    assert released == sorted(p.name for p in NOTEBOOKS.values())
    for path in (tmp_path / "release" / "course").glob("*.ipynb"):
        assert "BEGIN SOLUTION" not in path.read_text(encoding="utf-8")

