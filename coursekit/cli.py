"""The ``coursekit`` command.

    coursekit list                 the notebooks of the course
    coursekit run all [--fast]     execute every notebook headless; executed copies and HTML go to build/
    coursekit run 01 [--fast]      execute one notebook
    coursekit student [01|all]     the student versions (exercises blank, hidden tests out) in build/student/
    coursekit slides [01|all]      reveal.js decks in build/slides/ that present offline
    coursekit build [--fast]       all of the above at once, with a summary table
    coursekit course DIR [01|all]  an nbgrader course folder: one assignment per notebook, ready to grade
    coursekit gallery              a PNG of samples of every embedded dataset (build/gallery.png)
    coursekit mirror DIR           every file the course downloads, in one folder a class shares (COURSEKIT_MIRROR)
    coursekit translate            update the French catalogs (locale/fr/) and write the French edition (notebooks/fr/)
    coursekit bench data           time the embedded data generators on this machine
    coursekit bench pixelcnn       time naive and cached PixelCNN sampling (16 digits of 28×28)
    coursekit bench style          seconds per evaluation of a 256-px style transfer, against the PyTorch tutorial
    coursekit bench extractors     the offline feature extractors compared on notebook 06's style-transfer pairs

``run``, ``student``, ``slides`` and ``build`` take ``--lang fr`` for the French edition. ``run`` prints how long each
notebook took, so ``coursekit run all --fast --no-html`` is also the course's benchmark of the fast mode. The
checkpoints are made by another command, ``python -m coursekit.train NAME`` (``--dry-run`` to try a recipe in a
minute).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from coursekit import (benchmarks, checks, editions, environment, features, glossary, homework, i18n, mirror, notebooks,
                       runtime)
from coursekit.data import photos
from coursekit.data.gallery import bench, gallery
from coursekit.data.images import as_rgb
from coursekit.environment import PROJECT_ROOT, is_fast

try:
    from coursekit import grading
except ImportError as err:  # nbgrader is installed with the dev extra only; `coursekit course` says so
    grading, _NO_NBGRADER = None, err


class _UsageError(Exception):
    """What the user asked for cannot be done as asked: the message says why (exit status 2)."""


def _fail(message: str, code: int = 2) -> int:
    print(f"coursekit: {message}", file=sys.stderr)
    return code


def _selected(args) -> list[Path]:
    """The notebooks ``args.notebook`` names ("01", a file name, or "all"), in the edition ``args.lang`` names."""
    lang = getattr(args, "lang", "en")
    try:
        found = notebooks.select(args.notebook, editions.edition_dir(lang))
    except (notebooks.NotebookNotFound, FileNotFoundError) as err:
        if lang != "en" and not editions.edition_dir(lang).is_dir():
            raise _UsageError(f"there is no {lang} edition yet; `coursekit translate` writes it") from None
        raise _UsageError(str(err)) from None
    return found


def _out(args) -> Path:
    """The output folder of ``args``: with --lang fr, its fr/ subfolder, so that the editions never overwrite each
    other."""
    out = Path(args.out)
    return out if getattr(args, "lang", "en") == "en" else out / args.lang


def _fast(args) -> bool:
    """--fast, or COURSEKIT_FAST=1 (reading it refuses values such as "yes")."""
    try:
        return args.fast or is_fast()
    except ValueError as err:
        raise _UsageError(str(err)) from None


def _report_failures(failed: list[tuple[str, str, Path]]) -> int:
    """Say which notebooks failed (name, error, the executed copy with the error in it); the exit status."""
    for name, error, executed in failed:
        print(f"\n{name} failed: {error}\n  the executed notebook, with the error in it: {executed}", file=sys.stderr)
    return 1 if failed else 0


def _list(_args) -> int:
    for number, path in notebooks.available().items():
        print(f"{number}  {path.name}")
    return 0


def _run(args) -> int:
    fast, paths = _fast(args), _selected(args)
    out_dir = _out(args)
    mode = "fast" if fast else "full"
    print(f"Executing {len(paths)} notebook(s) in {mode} mode into {out_dir}/")
    results = []
    for path in paths:
        print(f"  {path.stem} …", end="", flush=True)
        result = notebooks.execute(path, out_dir, fast=fast, html=not args.no_html, timeout=args.timeout)
        results.append(result)
        status = "ok" if result.ok else f"FAILED: {result.error}"
        print(f" {result.seconds:6.1f} s  {status}")

    print(f"\n{'notebook':<36}{'mode':<6}{'seconds':>9}  result")
    for r in results:
        print(f"{r.name:<36}{mode:<6}{r.seconds:>9.1f}  {'ok' if r.ok else 'failed'}")
    print(f"{'total':<42}{sum(r.seconds for r in results):>9.1f}")
    return _report_failures([(r.name, r.error, r.executed) for r in results if not r.ok])


def _student(args) -> int:
    for target in homework.write_student(_selected(args), _out(args)):
        print(f"wrote {target}")
    return 0


def _course(args) -> int:
    paths = _selected(args)
    if grading is None:
        raise _UsageError(f"making an nbgrader course needs nbgrader ({_NO_NBGRADER}); install it with "
                          '`python -m pip install -e ".[dev]"`')
    root = Path(args.folder).resolve()
    names = grading.nbgrader_course(root, paths)
    print(f"nbgrader course in {root}: nbgrader_config.py and {len(names)} assignment(s) in source/:")
    for name, path in zip(names, paths):
        work = grading.lab_facts(path)
        print(f"  source/{name}/{name}.ipynb: {work['exercises']} exercises ({work['exercise points']:g} points, "
              f"auto-graded), {work['written']} written answers ({work['written points']:g} points, by hand)")
    print(f"Next, in {root}: `nbgrader generate_assignment {names[0]}` writes the student version to release/; "
          f"collect submissions into submitted/<student>/{names[0]}/; `nbgrader autograde {names[0]}` grades them "
          "(prefix it with COURSEKIT_FAST=1 to grade in minutes: the checks are the same, the training shorter).")
    return 0


def _slides(args) -> int:
    out = _out(args)
    for target in homework.write_slides(_selected(args), out / "slides", out / "executed"):
        print(f"wrote {target} ({homework.count_slides(target.read_text(encoding='utf-8'))} slides)")
    return 0


def _build(args) -> int:
    fast, paths = _fast(args), _selected(args)
    out = _out(args)
    print(f"Building {len(paths)} notebook(s) in {'fast' if fast else 'full'} mode into {out}/: executed notebooks "
          "with HTML, student versions, slides")
    rows = homework.build(paths, out, fast=fast, timeout=args.timeout)
    table = homework.summary(rows, out)
    (out / "summary.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table + f"\n\n(also in {out / 'summary.md'})")
    return _report_failures([(r.name, r.error, out / "executed" / (r.name + ".ipynb")) for r in rows if not r.ok])


def _translate(args) -> int:
    """Bring the catalogs up to date with the English notebooks, write the glossaries, and write the edition's
    notebooks whose catalogs are complete."""
    def row(what: str, state: i18n.Status, outcome: str) -> None:
        print(f"{what:<30}{state.translated:>11}{state.fuzzy:>7}{state.missing:>9}{state.obsolete:>10}  {outcome}")

    incomplete = []
    print(f"{'notebook':<30}{'translated':>11}{'fuzzy':>7}{'missing':>9}{'obsolete':>10}  {args.lang} edition")
    for path in notebooks.available().values():
        state = editions.update_catalog(path, args.lang)
        if state.complete:
            written = f"wrote {editions.write_edition(path, args.lang).relative_to(PROJECT_ROOT)}"
        else:
            incomplete.append(path)
            written = f"not written: translate {editions.catalog_path(path, args.lang).relative_to(PROJECT_ROOT)}"
        row(path.stem, state, written)
    messages = i18n.messages_catalog_path(args.lang)
    state = i18n.update_entries(messages, checks.messages(), "the messages of coursekit's exercise checks")
    row("the checks messages", state, str(messages.relative_to(PROJECT_ROOT)))
    if not state.complete:
        incomplete.append(messages)
    state = editions.update_library_catalog(args.lang)
    row("coursekit's figures", state, str(i18n.library_catalog_path(args.lang).relative_to(PROJECT_ROOT)))
    if not state.complete:
        incomplete.append(i18n.library_catalog_path(args.lang))
    for path in glossary.write(environment.notebooks_dir()):
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    if incomplete:
        print(f"{len(incomplete)} catalog(s) incomplete: fuzzy entries need a translator's check, missing ones a "
              "translation, obsolete ones removing (any gettext editor: Poedit, Weblate).")
    return 1 if incomplete else 0


def _mirror(args) -> int:
    folder = Path(args.dir).expanduser()
    try:
        source = environment.mirror() or "the datasets' own servers"
    except ValueError as err:
        raise _UsageError(str(err)) from err
    print(f"filling the mirror {folder} (from {source}):")
    report = mirror.fill(folder)
    for path, outcome in report.items():
        print(f"  {path:<44} {outcome}")
    failed = [path for path, outcome in report.items() if outcome.startswith("failed")]
    if failed:
        print(f"{len(failed)} of {len(report)} files could not be had; run this again once the network allows.")
        return 1
    print(f"done: set {environment.MIRROR_ENV}={folder.resolve()} (or the URL that serves it) for the class.")
    return 0


def _gallery(args) -> int:
    print(f"wrote {gallery(Path(args.out), seed=args.seed)}")
    return 0


def _bench_data() -> int:
    print(f"{'embedded data':<34}{'seconds':>9}  target")
    for what, seconds, target in bench():
        print(f"{what:<34}{seconds:>9.2f}  {target}")
    return 0


def _bench_pixelcnn() -> int:
    result = benchmarks.pixelcnn_sampling()
    print(f"PixelCNN sampling, 16 digits of 28×28 on {torch.get_num_threads()} CPU threads:")
    print(f"  naive  (one forward pass per pixel)    {result['naive']:7.1f} s")
    print(f"  cached (vertical stack once per row)   {result['cached']:7.1f} s")
    print(f"  speed-up {result['naive'] / result['cached']:.1f}×, identical samples: {result['identical']}")
    return 0 if result["identical"] else 1


def _bench_style(side: int = 256, steps: int = 20, rounds: int = 3) -> int:
    extractor = features.vgg19(pretrained=False).to(runtime.device())  # an evaluation costs the same with any weights
    content, style = (as_rgb(photos.photo(name), max_side=side, verbose=False).to(runtime.device())
                      for name in ("china", "hubble_deep_field"))
    result = benchmarks.style_transfer(extractor, content, style, steps=steps, rounds=rounds)
    where = f"{torch.get_num_threads()} CPU threads" if content.device.type == "cpu" else str(content.device)
    print(f"style transfer at {tuple(content.shape[-2:])} on {where}, VGG-19 (random weights), the same layers:")
    print(f"  gram.style_transfer   {result['course']:6.3f} s per evaluation "
          f"({result['evaluations']} evaluations for {result['iterations']} L-BFGS iterations)")
    print(f"  the PyTorch tutorial  {result['tutorial']:6.3f} s per evaluation")
    print(f"  ratio {result['ratio']:.2f} (the fastest of {rounds} rounds each)")
    history = result["history"]
    print(f"  style loss {history['style'][0]:.3g} → {history['style'][-1]:.3g}, "
          f"content loss {history['content'][0]:.3g} → {history['content'][-1]:.3g}")
    offline = benchmarks.offline_transfer(side, steps=5 * steps)
    print(f"notebook 06 offline (random filters, β = 0.1), {offline['iterations']} L-BFGS iterations at {side} px: "
          f"{offline['seconds']:.0f} s; edges kept {offline['edges']:.2f}, luminance moved {offline['luminance']:.0%}")
    return 0


def _bench_extractors(side: int, steps: int, out: Path) -> int:
    pairs = benchmarks.style_pairs(side)
    rows = benchmarks.compare_extractors(benchmarks.extractor_candidates(), pairs, steps=steps)
    print(f"offline feature extractors, style transfer at {side} px, {steps} L-BFGS iterations, on "
          f"{torch.get_num_threads()} CPU threads:\n")
    print(benchmarks.comparison_table(rows))
    out.parent.mkdir(parents=True, exist_ok=True)
    benchmarks.comparison_figure(rows, pairs).savefig(out, dpi=90)
    print(f"\nwrote {out}")
    return 0


def _bench(args) -> int:
    if args.what == "extractors":
        return _bench_extractors(args.side, args.steps, Path(args.out))
    return {"data": _bench_data, "pixelcnn": _bench_pixelcnn, "style": _bench_style}[args.what]()


def _seconds(text: str) -> int:
    """An argparse type: a positive whole number of seconds."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number of seconds, got {text!r}")
    return value


def _blocking_file(path: Path) -> Path | None:
    """The file that stands where ``path`` or one of its folders should be, if any."""
    return next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)


def _folder(text: str) -> Path:
    """An argparse type: a folder to write into, which need not exist yet, but not a path through a file."""
    path = Path(text).expanduser()
    blocking = _blocking_file(path)
    if blocking is not None:
        raise argparse.ArgumentTypeError(f"{blocking} is a file, so {path} cannot be a folder; choose another path")
    return path


def _file(text: str) -> Path:
    """An argparse type: a file to write, whose folder need not exist yet, but not a path through a file."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give the name of the file to write")
    _folder(str(path.parent))
    return path


def _execution_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that execute notebooks (run, build)."""
    parser.add_argument("--fast", action="store_true", help="small budgets, as in the tests (COURSEKIT_FAST=1)")
    parser.add_argument("--out", type=_folder, default=str(PROJECT_ROOT / "build"),
                        help="output folder (default: build/)")
    parser.add_argument("--timeout", type=_seconds, default=1800, help="seconds one cell may run (default: 1800)")


def _lang_option(parser) -> None:
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default="en",
                        help="the edition: en (notebooks/) or fr (notebooks/fr/, outputs in a fr/ subfolder)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description="Image generation with deep learning: the course.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_list = sub.add_parser("list", help="list the course's notebooks")
    p_list.set_defaults(func=_list)

    p_run = sub.add_parser("run", help="execute notebooks headless and save them (with HTML) under build/")
    p_run.add_argument("notebook", help="a notebook number such as 01, its file name, or 'all'")
    _execution_options(p_run)
    p_run.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    _lang_option(p_run)
    p_run.set_defaults(func=_run)

    p_student = sub.add_parser("student", help="write the student versions (nbgrader) to build/student/")
    p_student.add_argument("notebook", nargs="?", default="all", help="a notebook number such as 01, or 'all'")
    p_student.add_argument("--out", type=_folder, default=str(PROJECT_ROOT / "build" / "student"),
                           help="output folder")
    _lang_option(p_student)
    p_student.set_defaults(func=_student)

    p_course = sub.add_parser("course", help="make an nbgrader course folder with one assignment per notebook")
    p_course.add_argument("folder", type=_folder,
                          help="the course folder (created if missing; its source/ is updated)")
    p_course.add_argument("notebook", nargs="?", default="all", help="a notebook number such as 01, or 'all'")
    p_course.set_defaults(func=_course)

    p_slides = sub.add_parser("slides", help="write reveal.js decks to build/slides/ (with figures once executed)")
    p_slides.add_argument("notebook", nargs="?", default="all", help="a notebook number such as 01, or 'all'")
    p_slides.add_argument("--out", type=_folder, default=str(PROJECT_ROOT / "build"),
                          help="build folder: decks go to OUT/slides/, executed notebooks are read from OUT/executed/")
    _lang_option(p_slides)
    p_slides.set_defaults(func=_slides)

    p_build = sub.add_parser("build", help="everything into build/: executed notebooks with HTML, student versions, "
                                           "slides, and a summary table")
    p_build.add_argument("notebook", nargs="?", default="all", help="a notebook number such as 01, or 'all'")
    _execution_options(p_build)
    _lang_option(p_build)
    p_build.set_defaults(func=_build)

    p_translate = sub.add_parser("translate", help="update the translation catalogs (locale/) from the notebooks and "
                                                   "write the French edition (notebooks/fr/) and the glossaries")
    p_translate.add_argument("--lang", choices=[x for x in i18n.LANGUAGES if x != "en"], default="fr")
    p_translate.set_defaults(func=_translate)

    p_gallery = sub.add_parser("gallery", help="write a PNG of samples of every embedded dataset")
    p_gallery.add_argument("--out", type=_file, default=str(PROJECT_ROOT / "build" / "gallery.png"),
                           help="the PNG to write")
    p_gallery.add_argument("--seed", type=int, default=0)
    p_gallery.set_defaults(func=_gallery)

    p_mirror = sub.add_parser("mirror", help="download every file the course uses into one folder, for a class to "
                              f"share through {environment.MIRROR_ENV}")
    p_mirror.add_argument("dir", help="the mirror's folder (created if needed; files already there are kept)")
    p_mirror.set_defaults(func=_mirror)

    p_bench = sub.add_parser("bench", help="time parts of the course on this machine")
    p_bench.add_argument("what", choices=["data", "pixelcnn", "style", "extractors"],
                         help="data: the embedded dataset generators; pixelcnn: naive against cached sampling; "
                              "style: a 256-px style transfer against the PyTorch tutorial's loop, per evaluation, "
                              "and notebook 06's offline one; extractors: the offline feature extractors compared "
                              "on notebook 06's style-transfer pairs")
    p_bench.add_argument("--side", type=int, default=192, help="extractors: the longer side of the images")
    p_bench.add_argument("--steps", type=int, default=60, help="extractors: L-BFGS iterations per transfer")
    p_bench.add_argument("--out", type=_file, default=str(PROJECT_ROOT / "build" / "extractors.png"),
                         help="extractors: the PNG of the results to write")
    p_bench.set_defaults(func=_bench)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _UsageError as err:
        return _fail(str(err))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
