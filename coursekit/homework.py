"""One set of source notebooks, three uses: student versions and grading, lecture slides, and the course build.

- **Student versions** (``coursekit student``): nbgrader's own preprocessors, run through nbconvert with no gradebook
  database, turn each solution ("master") notebook into the one students get: the code between ``### BEGIN
  SOLUTION`` and ``### END SOLUTION`` becomes ``raise NotImplementedError()`` (and a written answer "YOUR ANSWER
  HERE"), hidden tests and outputs are cleared, and the check cells are locked (read-only). The exercises' checks then
  print "not implemented yet" and the cells after them fall back to the reference (``coursekit.checks.working``), so
  "run all" still goes through.
- **Grading** (``coursekit course``): see ``coursekit.grading``.
- **Slides** (``coursekit slides``): reveal.js decks made by nbconvert's slides exporter from the cells'
  ``slideshow.slide_type`` metadata, numbered "slide / total". The libraries a deck loads (reveal.js, jQuery,
  RequireJS, MathJax) are fetched once from the npm registry (pinned, checksummed releases) into ``build/slides/``
  so that decks present offline, equations included; a library that cannot be fetched is loaded from a CDN.
- **Build** (``coursekit build``): every notebook executed (with an HTML copy), its student version and its deck,
  with a progress line per notebook and a summary table.

``LECTURE`` is the lecture slide by slide, with the notebook that covers each slide; ``LECTURE_SLIDES`` lists, per
notebook, the titles of the lecture's slides that its deck must show.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

from coursekit import notebooks
from coursekit.data.download import DownloadError, download
from coursekit.environment import PROJECT_ROOT, data_dir, write_atomically

BUILD_DIR = PROJECT_ROOT / "build"

# The lecture, slide by slide, in its order: (title, how many consecutive slides carry it, the notebook that covers
# it, where). Every title is quoted, «…», in one of its notebook's headings (tests/test_lecture.py checks it); the
# untitled slides are named beside the titled one they follow. README's «The lecture, slide by slide» is
# ``coverage_table()``.
LECTURE = (
    ("Génération d'images par apprentissage profond", 1, "01",
     "the opening: the course, its author and the lecture's acknowledgements"),
    ("«Digital Dark Matter»", 1, "01", "the opening, with the untitled slides before it (photos and videos online)"),
    ("Défi principal", 1, "01", "the opening"),
    ("Rappel: limites", 1, "01", "the opening: lookup tables against learned representations"),
    ("Idée de base", 1, "01", "the opening: a hierarchy of simple units"),
    ("Reconnaissance d'objets: approche «traditionnelle»", 2, "01",
     "HOG features and a linear classifier, against raw pixels and notebook 02's CNN"),
    ("Réseau de neurones", 2, "01", "the reading of that comparison: every stage learned"),
    ("Réseau de neurones *profond*", 1, "01", "the same reading"),
    ("Calculs dans un réseau de neurones", 3, "01", "weighted sums, then ReLU"),
    ("Inspiration: neurone biologique", 1, "01", "the neuron and its activation functions"),
    ("Comment traiter une image?", 2, "01", "flattening an image, and the parameters it costs"),
    ("Réseaux de neurones à *convolution* (CNN)", 1, "02", "convolution (exercise 1)"),
    ("Réseaux de neurones à convolution (CNN)", 1, "02", "shared parameters"),
    ("[Hubel and Wiesel 59]", 1, "02", "oriented filters"),
    ("Calculs dans un réseau de neurones", 2, "01",
     "f(x) = f_L(…f_2(f_1(x))); the last layer's classification units are notebook 02's digit CNN"),
    ("Apprentissage par réseaux profonds", 3, "02", "a CNN that reads digits: images to labels, argmin over w"),
    ("Fonction de perte (*loss function*)", 3, "02", "the cross-entropy (exercise 2)"),
    ("Fonction de perte pour classification", 1, "02", "the same section, with the slide's notation for ẑ and z"),
    ("Apprentissage par réseaux profonds", 3, "02", "the minibatch training loop (exercise 4)"),
    ("Descente du gradient", 2, "02", "the learning rate (exercise 3), minibatches, momentum and Adam"),
    ("Qu'est-ce que le réseau apprend?", 4, "03",
     "first-layer filters, top-activating patches, activation maximisation"),
    ("Synthèse de texture: rappel", 1, "04", "Efros & Leung, in raster order"),
    ("Synthèse de texture par réseau profond", 2, "04", "a network predicts P(p_i | p_1, …, p_{i−1})"),
    ("Échantillonnage", 6, "04", "masked convolutions, then the sampling loop (exercises 1 and 3)"),
    ("Générer des images entières", 1, "04", "sampling whole digits, with a temperature"),
    ("Compléter une image", 1, "04", "completing occluded digits"),
    ("Réseaux profonds discriminatifs", 2, "01", "the opening: the course's map, p(c | x) against images"),
    ("Réseaux profonds *génératifs*", 1, "01",
     "the same map; the untitled colorization slides after it (Zhang et al. 2016, L → ab, why L2 fails) are "
     "notebook 05's first sections"),
    ("Meilleure fonction de perte", 2, "05", "quantised ab, the soft encoding (exercise 1), rebalancing"),
    ("Bons résultats", 1, "05", "results"),
    ("Moins bons résultats", 1, "05", "results: the worst scenes"),
    ("Biais", 1, "05", "the bias toward the training colours"),
    ("Représenter les textures", 1, "06", "the opening section"),
    ("Choix de la représentation", 1, "06", "learned (VGG-19) or random features"),
    ("Extraire les caractéristiques d'une image", 7, "03", "feature maps and receptive fields (notebook 06 uses them)"),
    ("Synthèse de textures par CNN", 2, "06", "matching Gram matrices (exercise 1)"),
    ("Statistiques de textures", 1, "06", "the Gram matrix"),
    ("Synthèse de textures par CNN", 3, "06", "which layers to match («Haute → Basse»), diversity, smoothness"),
    ("Capturer le style artistique", 2, "06", "style transfer: Gram matrices plus the content loss"),
    ("Londres le soir?", 1, "06", "one photograph in the style of another, with the untitled slide before it"),
    ("Revenons à la colorisation...", 1, "07",
     "the balloons L2 colours gray; the untitled GAN slides after it are the GAN sections"),
    ("Gris vers couleur", 2, "07", "a conditional-GAN colorizer against L2 and classification"),
    ("Carte vers satellite", 1, "07", "pix2pix's applications: a link"),
    ("Étiquette vers façade", 2, "07", "pix2pix on façades"),
    ("C'est le jour et la nuit!", 1, "07", "pix2pix's applications: a link"),
    ("Arêtes vers images", 1, "07", "pix2pix on edges"),
    ("Dessins vers images", 1, "07",
     "the edge generator on a drawing; the pix2pix repository, on the untitled slide after it"),
    ("#edges2cats [Christopher Hesse]", 1, "07", "pix2pix's applications: a link"),
    ("Twitter-driven research: #pix2pix", 1, "07", "pix2pix's applications: Memo Akten's «Learning to See»"),
    ("«Fais comme moi»", 1, "07", "OpenPose, then pix2pix"),
    ("Everybody Dance Now", 1, "07", "Chan et al. 2019"),
    ("Résultats", 1, "07", "the video"),
)


def plain_title(title: str) -> str:
    """A slide title as a heading shows it, rendered: without the lecture's *emphasis*, "..." as "…"."""
    return title.replace("*", "").replace("...", "…")


def coverage_table() -> str:
    """The lecture, slide by slide, as a Markdown table: the slides, their title, the notebook and what covers it."""
    rows = ["| slides | title | notebook | where |", "|---:|---|---|---|"]
    first = 1
    for title, count, notebook, where in LECTURE:
        slides = f"{first}" if count == 1 else f"{first}–{first + count - 1}"
        quoted = plain_title(title) if title.startswith("«") else f"«{plain_title(title)}»"
        rows.append(f"| {slides} | {quoted} | {notebook} | {where.replace('|', chr(92) + '|')} |")  # \| in a cell
        first += count
    return "\n".join(rows)


# The lecture's slide titles (French, as in the lecture) each deck shows: every title its notebook covers.
LECTURE_SLIDES = {number: tuple(dict.fromkeys(plain_title(t) for t, _, nb, _ in LECTURE if nb == number))
                  for number in ("01", "02", "03", "04", "05", "06", "07")}


@dataclass(frozen=True)
class DeckLibrary:
    """A JavaScript library nbconvert's slides template loads, as a pinned npm release: which files of the package
    to keep (prefixes), in which folder beside the decks, and the exporter option (``trait``) that points at it."""

    package: str
    version: str
    sha256: str
    folder: str
    keep: tuple[str, ...]
    trait: str
    url: str  # the deck's address for it, relative to the decks' folder
    registry: str = "https://registry.npmjs.org"

    @property
    def tarball(self) -> str:
        return f"{self.registry}/{self.package}/-/{self.package}-{self.version}.tgz"


DECK_LIBRARIES = (
    # reveal.js 4.x, the major version nbconvert's template targets
    DeckLibrary("reveal.js", "4.0.2", "0c234d5bfe539606c1af4bcc031f0d21ed99e264d90b7859abad34f7e3a0c587",
                "reveal.js", ("dist/", "plugin/"), "reveal_url_prefix", "reveal.js"),
    DeckLibrary("jquery", "3.7.1", "68a9f787516da47c680e09c187bcbac4536b6f85d90eb882844e12919e583f53",
                "jquery", ("dist/jquery.min.js",), "jquery_url", "jquery/dist/jquery.min.js"),
    DeckLibrary("requirejs", "2.3.7", "31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d",
                "requirejs", ("require.js",), "require_js_url", "requirejs/require.js"),
    # MathJax 2, whose API the template calls; only what TeX → CommonHTML needs
    DeckLibrary("mathjax", "2.7.9", "7131e739848edc14aa661a5516995866b81a477fab8b039d7cc324930e71f786",
                "mathjax", ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "extensions/", "jax/input/TeX/",
                            "jax/output/CommonHTML/", "jax/element/", "fonts/HTML-CSS/TeX/woff/", "localization/en/"),
                "mathjax_url", "mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"),
)

# ---------------------------------------------------------------------------------------------------------------
# Student versions
# ---------------------------------------------------------------------------------------------------------------


def student_notebook(path: Path):
    """The student version of the notebook at ``path`` (an nbformat notebook): solutions replaced by
    ``raise NotImplementedError()``, hidden tests, mark schemes and outputs cleared, graded cells locked."""
    # nbgrader comes with the dev extra only: making slides or reading a notebook does not need it
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions, LockCells

    nb = nbformat.read(path, as_version=4)
    resources: dict = {}
    for preprocessor in (ClearSolutions(), ClearHiddenTests(), ClearMarkScheme(), LockCells(), ClearOutput()):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def write_student(paths: list[Path], out_dir: Path = BUILD_DIR / "student") -> list[Path]:
    """Write the student version of each notebook to ``out_dir`` (same file names); return the paths."""
    written = []
    for path in paths:
        target = out_dir / path.name
        write_atomically(target, nbformat.writes(student_notebook(path)))
        written.append(target)
    return written


# ---------------------------------------------------------------------------------------------------------------
# Slides
# ---------------------------------------------------------------------------------------------------------------


def fetch_deck_libraries(out_dir: Path, verbose: bool = True) -> dict[str, str]:
    """Put the decks' libraries beside them (``out_dir/reveal.js/``, ``out_dir/mathjax/``, …) and return the slides
    exporter's options that point at them. A library already there is kept; one that cannot be fetched (registry
    unreachable, interrupted, not the pinned file) is left to the exporter's CDN address, with a note."""
    options = {}
    for lib in DECK_LIBRARIES:
        local = out_dir / lib.folder
        if not (local / ".complete").is_file():
            archive = data_dir() / "deck_libraries" / f"{lib.package}-{lib.version}.tgz"
            try:
                download(lib.tarball, archive, sha256=lib.sha256, progress=verbose)
            except DownloadError as err:
                if verbose:
                    print(f"note: {lib.package} could not be fetched ({err}); the decks will load it from a CDN, "
                          "so presenting them needs the internet.")
                continue
            _unpack(archive, local, lib.keep)
        options[lib.trait] = lib.url
    return options


def _unpack(archive: Path, target: Path, keep: tuple[str, ...]) -> None:
    """Extract the files of an npm tarball whose path (below ``package/``) starts with one of ``keep`` into
    ``target``, all at once: a staging folder renamed into place, marked complete, so no half-copy is ever used."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as staging:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and m.name.startswith(tuple(f"package/{k}" for k in keep))]
            tar.extractall(staging, members=members, filter="data")
        (Path(staging) / "package" / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        (Path(staging) / "package").rename(target)


def slides_html(nb, libraries: dict[str, str] | None = None) -> str:
    """A reveal.js deck (HTML) of the notebook ``nb``: one slide per "slide" cell, "subslide" cells below it,
    numbered "slide / total". ``libraries``: exporter options from ``fetch_deck_libraries`` (default: the CDN's)."""
    exporter = SlidesExporter(reveal_scroll=True, reveal_number="c/t", reveal_width="1280", reveal_height="800",
                              **(libraries or {}))
    body, _ = exporter.from_notebook_node(nb)
    return body


class _SlideCounter(HTMLParser):
    """Counts a deck's slides: reveal.js's ``<section>`` elements that hold no other section."""

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []  # for each open section: does it hold another section?
        self.slides = 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            if self.stack:
                self.stack[-1] = True
            self.stack.append(False)

    def handle_endtag(self, tag):
        if tag == "section" and self.stack:
            self.slides += not self.stack.pop()


def count_slides(html: str) -> int:
    """The number of slides (vertical ones included) of a reveal.js deck's HTML."""
    counter = _SlideCounter()
    counter.feed(html)
    return counter.slides


def write_slides(paths: list[Path], out_dir: Path = BUILD_DIR / "slides", executed_dir: Path = BUILD_DIR / "executed",
                 verbose: bool = True) -> list[Path]:
    """Write a deck ``out_dir/NN_name.slides.html`` for each notebook; return the paths.

    A deck is made from the executed notebook in ``executed_dir`` when there is one at least as new as the source
    (so it shows the figures), else from the source (code and text only, with a note).
    """
    libraries = fetch_deck_libraries(out_dir, verbose=verbose)
    written = []
    for path in paths:
        executed = executed_dir / path.name
        if executed.is_file() and executed.stat().st_mtime >= path.stat().st_mtime:
            nb = nbformat.read(executed, as_version=4)
        else:
            nb = nbformat.read(path, as_version=4)
            if verbose:
                print(f"note: {path.stem} has no executed copy in {executed_dir}; its deck has no figures "
                      f"(`coursekit run {path.stem[:2]}` first, or `coursekit build`).")
        target = out_dir / f"{path.stem}.slides.html"
        write_atomically(target, slides_html(nb, libraries))
        written.append(target)
    return written


# ---------------------------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class BuildRow:
    """What ``build`` made for one notebook."""

    name: str
    ok: bool = True
    error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # "run", "student", "slides"
    outputs: list[Path] = field(default_factory=list)
    slides: int = 0


def build(paths: list[Path], out_dir: Path = BUILD_DIR, fast: bool = False, timeout: int = 1800,
          echo=print) -> list[BuildRow]:
    """Execute each notebook (with HTML), write its student version and its deck into ``out_dir``; return one
    ``BuildRow`` per notebook. ``echo`` receives a progress line per notebook."""
    rows = []
    for k, path in enumerate(paths, 1):
        row = BuildRow(path.stem)
        start = time.perf_counter()
        result = notebooks.execute(path, out_dir, fast=fast, html=True, timeout=timeout)
        row.seconds["run"] = time.perf_counter() - start
        row.ok, row.error = result.ok, result.error
        row.outputs += [result.executed] + ([result.html] if result.html else [])
        start = time.perf_counter()
        row.outputs += write_student([path], out_dir / "student")
        row.seconds["student"] = time.perf_counter() - start
        start = time.perf_counter()
        deck = write_slides([path], out_dir / "slides", out_dir / "executed", verbose=False)[0]
        row.seconds["slides"] = time.perf_counter() - start
        row.outputs.append(deck)
        row.slides = count_slides(deck.read_text(encoding="utf-8"))
        status = "ok" if row.ok else f"FAILED: {row.error}"
        echo(f"[{k}/{len(paths)}] {path.stem}: executed in {row.seconds['run']:.1f} s ({status}), student version, "
             f"{row.slides} slides")
        rows.append(row)
    return rows


def summary(rows: list[BuildRow], out_dir: Path = BUILD_DIR) -> str:
    """The build's summary table (Markdown): per notebook, its result, times and what it produced."""
    lines = ["| notebook | result | run (s) | student (s) | slides (s) | slides | files |",
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        files = ", ".join(str(p.relative_to(out_dir)) if p.is_relative_to(out_dir) else str(p) for p in r.outputs)
        lines.append(f"| {r.name} | {'ok' if r.ok else 'FAILED: ' + r.error} | {r.seconds.get('run', 0):.1f} | "
                     f"{r.seconds.get('student', 0):.1f} | {r.seconds.get('slides', 0):.1f} | {r.slides} | {files} |")
    total = sum(sum(r.seconds.values()) for r in rows)
    lines.append(f"| **total** | {sum(r.ok for r in rows)}/{len(rows)} ok | | | | | {total:.1f} s in all |")
    return "\n".join(lines)

