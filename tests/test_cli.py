"""The `coursekit` command and the notebook runner behind it."""

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit import cli, environment, notebooks


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_available_finds_the_course_in_order():
    found = notebooks.available()
    assert "01" in found and found["01"].name == "01_neurons_and_relu.ipynb"
    assert list(found) == sorted(found)


@pytest.mark.parametrize("selector", ["01", "1", "01_neurons_and_relu", "01_neurons_and_relu.ipynb"])
def test_select_one_notebook(selector):
    assert [p.name for p in notebooks.select(selector)] == ["01_neurons_and_relu.ipynb"]


def test_select_all():
    assert notebooks.select("all") == list(notebooks.available().values())


def test_unknown_notebook_lists_the_available_ones():
    with pytest.raises(notebooks.NotebookNotFound, match="available: 01_neurons_and_relu"):
        notebooks.select("99")


def test_run_99_prints_one_line_and_fails(capsys):
    assert cli.main(["run", "99"]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no notebook '99'" in err and "01_neurons_and_relu" in err


def test_run_99_from_the_shell():
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", "run", "99"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "available: 01_neurons_and_relu" in result.stderr


def test_run_refuses_a_bad_fast_value(monkeypatch, capsys):
    monkeypatch.setenv("COURSEKIT_FAST", "yes")
    assert cli.main(["run", "01"]) == 2
    assert "COURSEKIT_FAST='yes' is not understood" in capsys.readouterr().err


def test_execute_writes_notebook_and_html(tmp_path):
    source = _notebook(tmp_path / "07_tiny.ipynb", "import os\nprint('mode', os.environ['COURSEKIT_FAST'])")
    result = notebooks.execute(source, tmp_path / "build", fast=True)
    assert result.ok, result.error
    executed = json.loads(result.executed.read_text())
    assert "".join(executed["cells"][0]["outputs"][0]["text"]) == "mode 1\n"
    assert "mode 1" in result.html.read_text()
    assert not list((tmp_path / "build").rglob("*.partial"))
    assert os.environ.get("COURSEKIT_FAST") == "1"  # restored to what conftest set


def test_execute_reports_a_failing_cell(tmp_path):
    source = _notebook(tmp_path / "08_broken.ipynb", "x = 1", "raise ValueError('the cell broke')")
    result = notebooks.execute(source, tmp_path / "build", fast=True, html=False)
    assert not result.ok
    assert result.error == "ValueError: the cell broke"
    assert result.executed.is_file() and result.html is None


def test_committed_notebooks_carry_no_outputs():
    for path in environment.notebooks_dir().glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


def test_notebooks_are_slides_with_a_settings_cell():
    for path in environment.notebooks_dir().glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all("slideshow" in c.metadata for c in nb.cells), f"{path.name}: a cell lacks slideshow metadata"
        budgets = [c for c in nb.cells if c.cell_type == "code" and "ck.budget(" in c.source]
        assert len(budgets) == 1, f"{path.name}: every budget belongs in one settings cell"


def test_course_makes_an_nbgrader_course_folder(tmp_path, capsys):
    assert cli.main(["course", str(tmp_path / "gif4105"), "02"]) == 0
    assert "nbgrader generate_assignment 02_cnn_classification" in capsys.readouterr().out
    config = (tmp_path / "gif4105" / "nbgrader_config.py").read_text(encoding="utf-8")
    assert "c.Execute.timeout = 1800" in config and "gradebook.db?timeout=" in config
    source = tmp_path / "gif4105" / "source" / "02_cnn_classification" / "02_cnn_classification.ipynb"
    assert nbformat.read(source, as_version=4).cells == nbformat.read(notebooks.select("02")[0], as_version=4).cells
    assert cli.main(["course", str(tmp_path / "gif4105"), "99"]) == 2


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path, monkeypatch):
    """Two kernels started at once can pick the same free port; the one that loses dies at start and is restarted."""
    real, calls = notebooks.start_new_kernel, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(notebooks, "start_new_kernel", flaky)
    nb = nbformat.read(_notebook(tmp_path / "08_ok.ipynb", "x = 6 * 7", "print(x)"), as_version=4)
    assert notebooks.run_cells(nb, tmp_path) == "" and len(calls) == 2
    assert nb.cells[1].outputs[0].text == "42\n"


def test_a_slider_does_not_wipe_what_its_cell_printed_before_it(tmp_path):
    """``widgets.interact`` draws inside its own output widget, which clears itself: the cell keeps what it showed."""
    nb = nbformat.read(_notebook(tmp_path / "08_slider.ipynb", "import ipywidgets as w\nprint('plain call')\n"
                                 "w.interact(lambda k=1: print('from the slider', k), k=(0, 3));"), as_version=4)
    assert notebooks.run_cells(nb, tmp_path) == ""
    outputs = nb.cells[0].outputs
    assert outputs[0].output_type == "stream" and outputs[0].text == "plain call\n"
    assert not any("from the slider" in o.get("text", "") for o in outputs), "the slider's output stays in the widget"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


@pytest.mark.parametrize("argv, message", [
    (["run", "01", "--timeout", "0"], "--timeout: must be a positive whole number of seconds, got '0'"),
    (["run", "01", "--timeout", "-5"], "--timeout: must be a positive whole number of seconds, got '-5'"),
    (["build", "01", "--timeout", "ten"], "--timeout: must be a positive whole number of seconds, got 'ten'"),
    (["run", "01", "--out", "{file}/build"], "{file} is a file, so {file}/build cannot be a folder"),
    (["student", "01", "--out", "{file}"], "{file} is a file, so {file} cannot be a folder"),
    (["course", "{file}/course"], "{file} is a file, so {file}/course cannot be a folder"),
    (["gallery", "--out", "{folder}"], "{folder} is a folder; give the name of the file to write"),
])
def test_cli_refuses_a_timeout_or_an_output_path_it_cannot_use(tmp_path, capsys, argv, message):
    """Before: --timeout 0 and -5 were accepted, and --out through a file ended in a raw traceback."""
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    names = {"file": str(file), "folder": str(tmp_path)}
    with pytest.raises(SystemExit) as exit_:
        cli.main([a.format(**names) for a in argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message.format(**names) in err and "Traceback" not in err
    assert file.read_text() == "mine"


@pytest.mark.timed
def test_the_runner_finishes_cells_that_update_a_display_or_send_widget_messages_hundreds_of_times(tmp_path):
    """What the runner exists for: nbclient waited forever after cells that sent many display updates (issue 19).
    Each cell ends on time and keeps what it finally shows."""
    import time

    updates = ("from IPython.display import display, clear_output\n"
               "handle = display('step 0', display_id=True)\n"
               "for i in range(1, 400):\n"
               "    handle.update(f'step {i}')\n")
    clears = ("for i in range(300):\n"
              "    clear_output(wait=True)\n"
              "    print(f'frame {i}')\n")
    widgets = ("import ipywidgets as w\n"
               "slider = w.IntSlider(value=0, max=500)\n"
               "display(slider)\n"
               "for i in range(500):\n"
               "    slider.value = i\n"
               "out = w.Output()\n"
               "display(out)\n"
               "with out:\n"
               "    for i in range(200):\n"
               "        print(i)\n"
               "print('done', slider.value)")
    nb = nbformat.read(_notebook(tmp_path / "08_updates.ipynb", updates, clears, widgets), as_version=4)
    start = time.monotonic()
    assert notebooks.run_cells(nb, tmp_path, timeout=60) == ""
    assert time.monotonic() - start < 60
    shown, cleared, widget = (cell.outputs for cell in nb.cells)
    assert [o.data["text/plain"] for o in shown] == ["'step 399'"]  # updated in place 399 times
    assert [o.text for o in cleared] == ["frame 299\n"]  # cleared 300 times
    assert sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in widget) == 2
    assert "done 499\n" in "".join(o.get("text", "") for o in widget if o.output_type == "stream")


def test_the_docstring_lists_every_command(capsys):
    """The module docstring's list against the commands the parser takes (from `coursekit --help`)."""
    listed = {line.split()[1] + (f" {line.split()[2]}" if line.split()[1] == "bench" else "")
              for line in cli.__doc__.splitlines() if line.strip().startswith("coursekit ")}
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    parsed = set(re.search(r"\{([a-z,]+)\}", capsys.readouterr().out)[1].split(","))
    with pytest.raises(SystemExit):
        cli.main(["bench", "--help"])
    benches = set(re.search(r"\{([a-z,]+)\}", capsys.readouterr().out)[1].split(","))
    assert listed == (parsed - {"bench"}) | {f"bench {b}" for b in benches}


def test_bench_extractors_prints_a_table_and_writes_the_figure(tmp_path, capsys):
    out = tmp_path / "figures" / "extractors.png"
    assert cli.main(["bench", "extractors", "--side", "24", "--steps", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| ") and ("temple" in line or "cat in" in line)]
    assert len(rows) == 5 * 2 * 4, "five extractors, two pairs, four style weights"
    assert "random filters, zero-mean content (the course's)" in printed and out.stat().st_size > 10_000
