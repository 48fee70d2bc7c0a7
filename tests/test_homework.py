"""Student versions, slides and nbgrader: what instructors hand out and present, made from the source notebooks."""

import dataclasses
import functools
import hashlib
import html
import http.server
import io
import re
import tarfile
import threading

import nbformat
import pytest

from coursekit import homework, notebooks

NOTEBOOKS = notebooks.available()


def _solution_lines(source: str) -> list[str]:
    """The non-blank lines between the solution markers of a cell's source."""
    lines, inside = [], False
    for line in source.splitlines():
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
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in student.cells if "nbgrader" in c.metadata}
    outside = "\n".join(c.source for c in source.cells if not c.metadata.get("nbgrader", {}).get("solution"))
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        left = by_id[meta["grade_id"]].source
        for line in _solution_lines(cell.source):
            if line not in cell.source.split("### BEGIN SOLUTION")[0]:  # the signature and docstring stay
                assert line not in left, f"solution left in the student's cell {meta['grade_id']}: {line!r}"
            if len(line) >= 40 and line not in outside:  # nor anywhere else in the notebook
                assert line not in text, f"solution code left in the student version: {line!r}"
    exercises = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    answers = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "markdown"]
    checks = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert all("raise NotImplementedError()" in c.source for c in exercises)
    assert all(c.source.strip() == "YOUR ANSWER HERE" for c in answers), "written answers start blank"
    assert all(c.metadata.get("editable") is False for c in checks), "check cells are locked"
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")
    assert len(exercises) + len(answers) == len(_solution_cells(source))


def _solution_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def test_every_exercise_is_followed_by_its_check_and_a_fallback():
    for number, path in NOTEBOOKS.items():
        cells = nbformat.read(path, as_version=4).cells
        for k, cell in enumerate(cells):
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                name = re.match(r"def (\w+)\(", cell.source).group(1)
                following = cells[k + 1]
                meta = following.metadata.get("nbgrader", {})
                assert meta.get("grade_id") == f"check_{name}" and meta.get("locked"), \
                    f"{number}: no check after {name}"
                assert following.source.startswith(f"ck.checks.check_{name}({name})")
                if meta.get("grade"):  # graded: the hidden line that fails a blank answer when nbgrader grades
                    hidden = following.source.split("### BEGIN HIDDEN TESTS")[1]
                    assert f"ck.checks.check_{name}.grade({name})" in hidden
                later = "\n".join(c.source for c in cells[k + 1:])
                assert (f"ck.checks.working({name}," in later  # the reference, when the answer does not pass
                        or f"ck.checks.check_{name}.passes({name})" in later), f"{number}: {name} has no fallback"


def test_written_answers_are_manually_graded_markdown_with_a_reference_answer():
    for number, path in NOTEBOOKS.items():
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "markdown":
                assert meta.get("grade") and meta.get("points", 0) > 0, f"{number}: {meta}"
                assert cell.source.startswith("*Reference answer.*"), f"{number}: {meta}"
                assert "BEGIN SOLUTION" not in cell.source, "the whole cell is the answer: nbgrader clears it all"
                assert cell.metadata.get("slideshow", {}).get("slide_type") == "notes", "speaker notes in the decks"


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
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", deck)).split())
    for title in homework.LECTURE_SLIDES[number]:
        assert title in text, f"deck {number} lacks the lecture slide «{title}»"


def test_count_slides_counts_leaf_sections():
    deck = "<div><section><section>a</section><section>b</section></section><section><section>c</section></section>"
    assert homework.count_slides(deck + "</div>") == 3


def _npm_tarball(files: dict[str, bytes]) -> bytes:
    """An npm package tarball: every file below ``package/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A local npm registry on 127.0.0.1 serving a tiny release of each deck library, and the libraries pinned to
    it; returns the registry's address."""
    folder = tmp_path / "registry"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{httpd.server_address[1]}"
    libraries = []
    for lib in homework.DECK_LIBRARIES:
        body = _npm_tarball({f"{keep}x.js" if keep.endswith("/") else keep: b"// kept" for keep in lib.keep}
                            | {"README.md": b"left out", "unpacked/big.js": b"left out"})
        path = folder / lib.package / "-" / f"{lib.package}-{lib.version}.tgz"
        path.parent.mkdir(parents=True)
        path.write_bytes(body)
        libraries.append(dataclasses.replace(lib, registry=address, sha256=hashlib.sha256(body).hexdigest()))
    monkeypatch.setattr(homework, "DECK_LIBRARIES", tuple(libraries))
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path / "cache"))
    yield address
    httpd.shutdown()
    httpd.server_close()


def test_deck_libraries_are_fetched_once_and_decks_point_at_them(registry, tmp_path):
    options = homework.fetch_deck_libraries(tmp_path / "slides", verbose=False)
    assert options == {lib.trait: lib.url for lib in homework.DECK_LIBRARIES}
    for lib in homework.DECK_LIBRARIES:
        folder = tmp_path / "slides" / lib.folder
        assert (folder / ".complete").is_file()
        assert all((folder / (f"{keep}x.js" if keep.endswith("/") else keep)).is_file() for keep in lib.keep)
        assert not (folder / "README.md").exists() and not (folder / "unpacked").exists()  # only what decks need
    deck = homework.slides_html(nbformat.read(NOTEBOOKS["01"], as_version=4), options)
    for url in ["reveal.js/dist/reveal.css", "jquery/dist/jquery.min.js", "requirejs/require.js",
                "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"]:
        assert url in html.unescape(deck)
    assert "cdnjs.cloudflare.com/ajax/libs/jquery" not in deck and "cdnjs.cloudflare.com/ajax/libs/mathjax" not in deck
    # a second call uses what is there, even with the registry gone
    gone = tuple(dataclasses.replace(lib, registry="http://127.0.0.1:1") for lib in homework.DECK_LIBRARIES)
    homework.DECK_LIBRARIES = gone  # the registry fixture's monkeypatch restores the real ones
    assert homework.fetch_deck_libraries(tmp_path / "slides", verbose=False) == options


def test_deck_libraries_fall_back_to_the_cdn_when_unreachable(registry, tmp_path, monkeypatch, capsys):
    unreachable = tuple(dataclasses.replace(lib, registry="http://127.0.0.1:1") for lib in homework.DECK_LIBRARIES)
    monkeypatch.setattr(homework, "DECK_LIBRARIES", unreachable)
    assert homework.fetch_deck_libraries(tmp_path / "slides") == {}
    assert capsys.readouterr().out.count("will load it from a CDN") == len(homework.DECK_LIBRARIES)
    assert not (tmp_path / "slides").exists() or not any((tmp_path / "slides").iterdir())  # nothing half-made
    deck = homework.slides_html(nbformat.read(NOTEBOOKS["01"], as_version=4))
    assert "cdnjs.cloudflare.com" in deck


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_the_lab_frame_states_what_the_notebook_grades_and_asks(number):
    """The first cell's objectives, prerequisites, duration and graded work; its numbers are the notebook's own."""
    from coursekit.grading import lab_facts

    cells = nbformat.read(NOTEBOOKS[number], as_version=4).cells
    intro, facts = cells[0].source, lab_facts(NOTEBOOKS[number])
    for part in ("**Learning objectives.**", "**Prerequisites.**", "**Expected duration.**", "**Graded work.**"):
        assert part in intro, f"{number}: the first cell lacks {part}"
    objectives = re.search(r"\*\*Learning objectives\.\*\*.*?\n((?:- .*\n(?:  .*\n)*)+)", intro + "\n").group(1)
    assert 3 <= objectives.count("\n- ") + 1 <= 5, f"{number}: 3 to 5 learning objectives"
    graded = re.search(r"Exercises 1–(\d+) \((\d+) points.*?(\w+) written questions \((\d+) points", intro, re.S)
    assert graded, f"{number}: the graded work names its exercises, written questions and points"
    words = {"two": 2, "three": 3, "four": 4}
    assert (int(graded[1]), int(graded[2]), words[graded[3]], int(graded[4])) == (
        facts["exercises"], facts["exercise points"], facts["written"], facts["written points"])
    duration = re.search(r"\*\*Expected duration\.\*\*(.*?)(?:\n\n|$)", intro, re.S).group(1)
    stated_words = int(re.search(r"([\d,]+)\s+words", duration).group(1).replace(",", ""))
    stated_lines = int(re.search(r"(\d+)\s+lines\s+of\s+code", duration).group(1))
    assert abs(stated_words - facts["words"]) <= 0.1 * facts["words"], (number, stated_words, facts["words"])
    assert abs(stated_lines - facts["solution lines"]) <= max(3, 0.1 * facts["solution lines"]), \
        (number, stated_lines, facts["solution lines"])
    closing = "\n".join(c.source for c in cells[-3:])
    assert "## What you learned" in closing and "## References" in closing and "](http" in closing


@pytest.mark.parametrize("number", list(NOTEBOOKS))
def test_a_notebook_leaves_no_temporary_folder_behind(number):
    """A run of a notebook leaves nothing in the system's temporary folder: a folder made there is removed (a
    ``with tempfile.TemporaryDirectory()`` block), never left by ``mkdtemp`` or ``mkstemp`` (06 left one per run)."""
    code = "\n".join(c.source for c in nbformat.read(NOTEBOOKS[number], as_version=4).cells if c.cell_type == "code")
    for leaky in ("mkdtemp(", "mkstemp(", "NamedTemporaryFile(delete=False"):
        assert leaky not in code, f"{number} calls {leaky}: use `with tempfile.TemporaryDirectory() as folder:`"
