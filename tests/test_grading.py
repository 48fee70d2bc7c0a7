"""Grading end to end with nbgrader itself, as an instructor does it.

A real nbgrader course is built in a temporary folder by ``coursekit course``, with one assignment per notebook:
``nbgrader generate_assignment`` makes the student versions, three students submit, then
``nbgrader autograde`` executes and grades every submission and ``nbgrader export`` writes the grades:

- "solutions" hands in the solution versions: full marks on every auto-graded part, written answers waiting for the
  instructor;
- "blank" hands in the release versions untouched, in the French edition: 0 everywhere. Its execution is also the
  test that a student's "run all" goes through, and the French edition's run (the same code as the English, the
  French words, the checks speaking French): every error comes from the hidden grading line of a check cell, and
  says, in French, "not implemented";
- "mistakes" hands in typical mistakes (``SUBMISSION`` in ``test_checks_NN.py``: a wrong answer for some exercises,
  the solution for the others, one written answer): partial marks, exactly the parts it got right.

The blank and mistakes submissions are executed by nbgrader in fast mode (``COURSEKIT_FAST`` as the tests set it),
three notebooks at a time, each kernel on one thread, in the background while the other tests run (the course is
built by ``nbgrader_course.py``; the order of the run is in ``conftest.py``). Each solution notebook is executed once
in the test run: in JupyterLab, by the browser tests, which save it with its outputs; that copy is handed in and
graded with ``nbgrader autograde --no-execute``, nbgrader's own option for long-running notebooks. Without the
browser tests, nbgrader executes the solutions as it does the others. Either way, the solutions' grading fails with
the cell and the traceback of any error. To execute one notebook cell by cell, ``pytest notebooks/04_pixelcnn.ipynb``
(nbval).
"""

import csv
import re
from pathlib import Path

import nbformat
import pytest

from coursekit import cli, i18n, notebooks
from nbgrader_course import NOTEBOOKS, STUDENTS, submission_table  # beside this file, as conftest.py imports it


@pytest.fixture(scope="module")
def course(grading) -> Path:
    """An nbgrader course with every notebook released, submitted by the three students, autograded and exported
    (``nbgrader_course.Grading``, begun in the background by conftest.py).

    The solutions are handed in as JupyterLab ran and saved them in the browser tests (``lab_executed``), and graded
    from those outputs with ``nbgrader autograde --no-execute``, nbgrader's option for long-running notebooks; when
    the browser tests did not run, nbgrader executes the solutions itself."""
    return grading.finish()


def _cell_grades(root: Path, number: str, student: str) -> dict[str, dict]:
    """{grade_id: {"auto", "manual", "max", "needs manual", "kind"}} of one graded submission, from the gradebook."""
    from nbgrader.api import Gradebook

    name = NOTEBOOKS[number].stem
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(name, name, student)
        return {g.name: {"auto": g.auto_score, "manual": g.manual_score, "max": g.max_score,
                         "needs manual": g.needs_manual_grade, "kind": g.cell_type}
                for g in submission.grades}


def _autograded(root: Path, number: str, student: str):
    path = NOTEBOOKS[number]
    return nbformat.read(root / "autograded" / student / path.stem / path.name, as_version=4)


def _errors(nb) -> list[tuple[object, str]]:
    """(cell, "Name: message") of every cell whose outputs hold an error."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "error":
                found.append((cell, f"{out.ename}: {out.evalue}"))
    return found


def _traceback(cell) -> str:
    """The end of the traceback a cell shows, without terminal colours."""
    lines = [line for out in cell.outputs if out.output_type == "error" for line in out.traceback]
    return notebooks.ANSI_ESCAPE.sub("", "\n".join(lines[-3:]))


def _written(cell) -> bool:
    return cell.cell_type == "markdown"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_solutions_get_every_auto_graded_point_and_wait_for_manual_grading(course, number):
    nb = _autograded(course, number, "solutions")
    assert not _errors(nb), "the solution version fails:\n" + "\n".join(
        f"{err}\nin the cell:\n{cell.source}\n{_traceback(cell)}" for cell, err in _errors(nb))
    grades = _cell_grades(course, number, "solutions")
    auto = {k: g for k, g in grades.items() if g["kind"] == "code"}
    written = {k: g for k, g in grades.items() if g["kind"] == "markdown"}
    assert auto, f"notebook {number} has no auto-graded part"
    for grade_id, g in auto.items():
        assert g["auto"] == g["max"], f"{grade_id}: {g['auto']} of {g['max']}"
    for grade_id, g in written.items():
        assert g["needs manual"] and g["auto"] is None, f"{grade_id} should wait for the instructor: {g}"


def _longest_words(key: str) -> str:
    """The longest run of words without a placeholder in the French edition's message ``key``."""
    template = i18n.current(i18n.read_catalog(i18n.messages_catalog_path()))[key].msgstr
    return max(re.split(r"\{[^{}]*\}", template), key=len).strip()


# what notebook 01 prints when the student's design does not pass its check: it falls back to its own network
NO_DESIGN = "No design of yours passes its check yet: the figure shows the 2 × 64 network alone."


def _says(key: str, text: str) -> bool:
    """Whether ``text`` holds the French edition's message ``key`` (its words around the check's name)."""
    template = i18n.current(i18n.read_catalog(i18n.messages_catalog_path()))[key].msgstr
    return all(part.strip() in text for part in template.split("{name}") if part.strip())


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_a_blank_submission_scores_zero_and_runs_through(course, number):
    grades = _cell_grades(course, number, "blank")
    for grade_id, g in grades.items():
        assert g["auto"] == 0 and not g["needs manual"], f"{grade_id}: {g}"
    nb = _autograded(course, number, "blank")
    graded_checks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    failing = {id(cell): err for cell, err in _errors(nb)}
    for cell, err in _errors(nb):
        assert cell in graded_checks, f"a cell that is not a graded check fails in the blank version: {err}\n" \
                                      f"{cell.source[:300]}"
        assert _says("hint:not implemented", err), err
    for cell in graded_checks:
        assert id(cell) in failing, f"a graded check passes a blank answer:\n{cell.source}"
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert _says("core:not implemented yet", printed), "the visible check speaks (French) before the hidden line"
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    exercises = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    no_design = i18n.shown_words("fr", "01_neurons_and_relu").translate(NO_DESIGN)  # 01's own line, in French
    said = printed.count(_longest_words("core:using the reference")) + printed.count(no_design)
    assert said >= len(exercises), "the cells after an exercise fall back to the reference, or leave the student's " \
                                   "part out, and say so"


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_typical_mistakes_score_exactly_the_parts_done_right(course, number):
    table = submission_table(number)
    grades = _cell_grades(course, number, "mistakes")
    auto = {k: g for k, g in grades.items() if g["kind"] == "code"}
    assert any(f"check_{k}" in auto for k in table), f"notebook {number}'s mistakes submission makes no mistake"
    assert any(f"check_{k}" not in table and k.removeprefix("check_") not in table for k in auto), \
        f"notebook {number}'s mistakes submission gets nothing right"
    for grade_id, g in auto.items():
        wrong = grade_id.removeprefix("check_") in table
        assert g["auto"] == (0 if wrong else g["max"]), f"{grade_id}: {g} ({'mistaken' if wrong else 'solution'})"
    for grade_id, g in grades.items():
        if g["kind"] == "markdown":
            answered = grade_id in table
            assert g["needs manual"] == answered and (answered or g["auto"] == 0), f"{grade_id}: {g}"


def test_export_lists_the_three_students_for_every_notebook(course):
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    seen = {(row["assignment"], row["student_id"]) for row in rows}
    assert seen == {(path.stem, s) for path in NOTEBOOKS.values() for s in STUDENTS}
    by = {(row["assignment"], row["student_id"]): float(row["raw_score"]) for row in rows}
    for path in NOTEBOOKS.values():
        a = path.stem
        assert by[(a, "blank")] == 0
        assert 0 < by[(a, "mistakes")] < by[(a, "solutions")], (a, by[(a, "mistakes")], by[(a, "solutions")])


def test_the_course_grades_with_the_blocking_executor_and_it_runs_past_errors(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config.loader import PyFileConfigLoader

    from nbgrader.converters import Autograde

    from coursekit.grading import BlockingExecute

    assert cli.main(["course", str(tmp_path), "01"]) == 0
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    steps = Autograde(config=config).autograde_preprocessors
    assert BlockingExecute in steps and not any(p.__name__ == "Execute" for p in steps)
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("raise ValueError('wrong')"),
                             new_code_cell("import ipywidgets as w\nw.interact(lambda k=1: print(k + x), k=(0, 3));")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    BlockingExecute(config=config).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[1].outputs[0].ename == "ValueError", "the error is recorded"
    assert nb.cells[2].execution_count == 3 and any(o.output_type == "display_data" for o in nb.cells[2].outputs), \
        "the cells after it still run, a slider's included"
