"""The package's import graph: imports at the top of each module, and each layer importing only from below it.

Function-level imports are kept only for optional, platform-bound or slow-to-import third-party packages (nbgrader,
fcntl; scikit-learn, torchvision and scikit-image's morphology, which would add 3 s to every ``import coursekit``;
matplotlib for the French edition's figures, in the module every check imports),
each with its reason beside it; a function-level import of a coursekit module fails here.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "coursekit"
MODULES = sorted(PACKAGE.rglob("*.py"))
# What each lower layer may import from coursekit: nothing above it
LAYERS = {
    "environment.py": set(),
    "runtime.py": {"coursekit.environment", "coursekit.i18n"},
    "i18n.py": {"coursekit.environment"},
    "data/download.py": {"coursekit.environment"},
}


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name


def _function_level(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub, module in _imports(node):
                yield sub, module


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_level_import_of_the_package(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = [f"line {node.lineno}: {module}" for node, module in _function_level(tree)
             if module.startswith("coursekit")]
    assert not inner, f"{path.name} imports coursekit modules inside functions; import them at the top: {inner}"


def test_function_level_imports_are_only_the_optional_or_slow_ones():
    kept = {(str(path.relative_to(PACKAGE)), module) for path in MODULES
            for _, module in _function_level(ast.parse(path.read_text(encoding="utf-8")))}
    assert kept == {("data/digits.py", "sklearn.datasets"), ("data/photos.py", "sklearn.datasets"),
                    ("data/digits.py", "skimage.morphology"), ("data/real.py", "torchvision.datasets"),
                    ("features.py", "torchvision.models"), ("plot.py", "torchvision.utils"),
                    ("data/download.py", "fcntl"), ("homework.py", "nbgrader.preprocessors"),
                    ("mirror.py", "torchvision.datasets"), ("mirror.py", "torchvision.models"),
                    ("training.py", "skimage.feature"),  # skimage.feature takes about a second to import
                    # every check imports i18n (nbgrader too); its figures' and widgets' words need matplotlib and
                    # ipywidgets, in French only
                    ("i18n.py", "matplotlib.text"), ("i18n.py", "ipywidgets.widgets.widget_description")}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_the_bottom_layers_import_nothing_above_them(name):
    tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
    used = {module for _, module in _imports(tree) if module.startswith("coursekit")}
    assert used <= LAYERS[name], f"{name} imports {sorted(used - LAYERS[name])} from above it"


def test_the_gan_module_does_not_import_the_plots():
    tree = ast.parse((PACKAGE / "gan.py").read_text(encoding="utf-8"))
    assert not any(module.startswith("coursekit.plot") or module == "coursekit" and
                   any(a.name == "plot" for a in node.names) for node, module in _imports(tree))


def test_nbgrader_loads_coursekit_grading_without_torch():
    """Every nbgrader command loads coursekit.grading (nbgrader_config.py): it must not pay for torch."""
    import subprocess
    import sys

    code = "import sys, coursekit, coursekit.grading; print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
