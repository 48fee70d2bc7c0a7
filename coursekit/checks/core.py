"""The machinery of the exercise checks: run a student's answer, name the mistake, grade it.

A ``Check`` is made of a function that tries one answer (it gets a ``Trial``) and the hints it can give, each under a
key, so that every hint can be fed the wrong answer it names in the tests. Calling a check on an answer

- prints "✓ … passes all checks." when the answer is right;
- prints "… is not implemented yet" for a blank answer (one that still raises ``NotImplementedError``), and returns,
  so that a student's "run all" goes on (the cells after it fall back to the reference, see ``working``);
- raises ``CheckFailed`` (an ``AssertionError``) with the hint for a wrong answer.

``check.grade(answer)`` is what nbgrader runs: it sits in the check cell between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS``, which the student version does not carry and ``nbgrader autograde`` puts back. It is silent
for a right answer and raises for a blank or wrong one, so that the cell, and the points it carries, fail. It reuses
the verdict of the visible call just before it on the same answer, so the answer is not tried twice.

While the answer runs, ``Trial.call`` watches what it calls: the reference implementation of the exercise (an answer
that only calls it is refused) and the building blocks the exercise forbids (``F.conv2d`` where the exercise is to
write the convolution). Functions are recognised by their code (Python) or their identity (torch's built-ins), so an
alias such as ``from torch.nn.functional import conv2d as c`` is caught too.
"""

from __future__ import annotations

import contextlib
import inspect
import signal
import sys
import threading
import types
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from coursekit import i18n

# Hints every check can give; a check's own hints are added to these (tests feed each one its mistake).
GENERIC_HINTS = {
    "raised": "{name} raised {error}\n  when called with ({arguments}). Run it by hand on a small input to see where "
              "it fails.",
    "returns None": "{name} returns None: did you forget the `return` statement?",
    "not a tensor": "{name} returns a {kind}; it should return a torch tensor (build it with torch operations, not "
                    "NumPy arrays or Python lists).",
    "shape": "{name} returns shape {got} where shape {expected} is expected.",
    "dtype": "{name} returns a tensor of dtype {got} where {expected} is expected (the dtype of its inputs): compute "
             "in the inputs' dtype, for example torch.zeros(..., dtype=x.dtype).",
    "unexpected": "{name} returned something the check could not use ({error}). Return what the exercise asks, of the "
                  "shape and dtype it names, and run your function by hand on a small input to see what it gives.",
    "calls the reference": "{name} calls {what}, the course's own implementation of this exercise. The exercise is to "
                           "write it yourself; the cells after it use that one when yours does not pass.",
    "forbidden": "{name} calls {what}, which this exercise asks you not to use: {why}",
    "not implemented": "{name} is not implemented yet, so this part scores 0: replace `raise NotImplementedError()` "
                       "with your code.",
    "changed its input": "{name} changed {which} in place (an operation ending in `_`, or an assignment into "
                         "it such as `x[...] = …`). The code that calls it still needs its inputs as they were: "
                         "work on a copy (`x = x.clone()`) or with operations that make new tensors (`x * 2`).",
    "too slow": "{name} did not finish within {limit:g} s on the check's small inputs, where the course's version "
                "takes well under a second, so the check stopped it. Look for a loop that never ends (a `while` whose "
                "condition never changes), or one over far more items than the inputs have.",
}
# What every check prints around its hints; like the hints, templates that the French edition translates
MESSAGES = {
    "passes": "✓ {name} passes all checks.",
    "not implemented yet": "… {name} is not implemented yet: replace `raise NotImplementedError()` with your code, "
                           "then run its cell and this one again.",
    "using the reference": "Using the reference {reference} in the cells below, because {name} does not pass its "
                           "check yet.",
    "note": "note: while checking {name}: {warning}",
    "argument 1": "its first argument ({what})",
    "argument 2": "its second argument ({what})",
    "argument 3": "its third argument ({what})",
    "argument 4": "its fourth argument ({what})",
    "argument 5": "its fifth argument ({what})",
    "argument n": "its argument #{number} ({what})",
    "keyword argument": "its argument {key} ({what})",
    "and": "{first} and {second}",
    "tensor": "tensor of shape {shape}",
    "items": "{count} things",
    "operation": "torch's operation {op}",
}


def message(key: str, **values) -> str:
    """The message ``key`` of ``MESSAGES`` in the running edition's language, filled with ``values``."""
    return i18n.translate(MESSAGES[key], f"core:{key}").format(**values)


# verdicts about what the answer's code did, not about its result: a change to the inputs does not explain them
_ABOUT_THE_CODE = ("raised", "forbidden", "calls the reference", "too slow")
TIME_LIMIT_S = 20.0  # a check stops an answer after this long (Unix, in the main thread: where a kernel runs cells)


class CheckFailed(AssertionError):
    """A student's answer is wrong; the message says how and what to try. ``key`` names the hint."""

    def __init__(self, message: str, key: str = ""):
        super().__init__(message)
        self.key = key


class _Blank(Exception):
    """The answer still raises ``NotImplementedError``."""


class _TimeUp(BaseException):
    """The time limit of a check ran out. A BaseException, so that an answer's ``except Exception`` cannot catch it."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise ``_TimeUp`` in the code that runs inside, once ``seconds`` have passed, and again every half second until
    it ends (a SIGALRM timer). Where no such timer exists (Windows, a thread other than the main one), there is no
    limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    running = [True]

    def time_up(signum, frame):
        if running[0]:
            raise _TimeUp

    previous = signal.signal(signal.SIGALRM, time_up)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)  # then every 0.5 s: an `except:` that caught one gets another
    try:
        yield
    finally:
        while True:  # an alarm may land in here too: clean up whatever happens
            try:
                running[0] = False  # from here on, an alarm does nothing
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except _TimeUp:
                continue


def _argument(i: int, value: Any) -> str:
    """"its first argument (…)": the i-th positional argument (from 0), described."""
    if i < 5:
        return message(f"argument {i + 1}", what=_describe(value))
    return message("argument n", number=i + 1, what=_describe(value))


def _describe(value: Any) -> str:
    """A short description of an argument, for messages: a tensor's shape, else its repr."""
    if torch.is_tensor(value):
        return message("tensor", shape=tuple(value.shape))
    if isinstance(value, torch.nn.Module):
        return type(value).__name__
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# names a student knows, for functions reached through torch's internals
_KNOWN_AS = {torch.autograd.graph._engine_run_backward: "autograd (`.backward()` or `torch.autograd.grad`)"}


def _qualified(fn: Callable) -> str:
    if fn in _KNOWN_AS:
        return _KNOWN_AS[fn]
    module = getattr(fn, "__module__", None) or "torch"
    return f"{module}.{getattr(fn, '__qualname__', getattr(fn, '__name__', repr(fn)))}"


class _Watch:
    """Records, while installed with ``sys.setprofile``, which of some functions are called.

    Python functions are recognised by their code object, built-ins (``torch.conv2d``) by identity, and tensor
    methods (``torch.Tensor.log_softmax``) by name on a tensor.
    """

    def __init__(self, functions):
        # a decorated function (``@torch.no_grad()``) runs its own code inside the decorator's shared wrapper
        self.codes = {inspect.unwrap(fn).__code__: fn for fn in functions if hasattr(inspect.unwrap(fn), "__code__")}
        self.methods = {fn.__name__: fn for fn in functions if isinstance(fn, types.MethodDescriptorType)}
        self.builtins = [fn for fn in functions if not hasattr(fn, "__code__") and fn not in self.methods.values()]
        self.seen: list[Callable] = []

    def _saw(self, fn: Callable) -> None:
        if fn not in self.seen:
            self.seen.append(fn)

    def __call__(self, frame, event, arg):
        if event == "call":
            fn = self.codes.get(frame.f_code)
            if fn is not None:
                self._saw(fn)
        elif event == "c_call":
            method = self.methods.get(getattr(arg, "__name__", None))
            if method is not None and torch.is_tensor(getattr(arg, "__self__", None)):
                self._saw(method)
            for fn in self.builtins:
                if arg is fn or arg == fn:
                    self._saw(fn)
                    break


class _OpWatch(TorchDispatchMode):
    """Records, while active, which of some of torch's low-level operations run (``torch.ops.aten.convolution``):
    every route to them goes through there (``F.conv2d``, ``nn.Conv2d``, ``functools.partial(F.conv2d)``, …)."""

    def __init__(self, ops):
        super().__init__()
        self.ops = ops
        self.seen: list = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        packet = func.overloadpacket
        if packet in self.ops and packet not in self.seen:
            self.seen.append(packet)
        return func(*args, **(kwargs or {}))


class Trial:
    """One try of a check on one answer: ``call`` runs the answer, ``fail`` builds a hint, ``expect_tensor`` checks
    the kind and shape of what came back."""

    def __init__(self, check: Check, answer: Any):
        self.check = check
        self.answer = answer
        self.changed: list[str] = []  # the tensors given to the answer that it changed in place, described

    def _record_changes(self, given: list[tuple[str, torch.Tensor, torch.Tensor]]) -> None:
        for which, tensor, before in given:
            same = tensor.shape == before.shape and torch.allclose(tensor.detach(), before, rtol=1e-5, atol=1e-6,
                                                                   equal_nan=True)
            if not same and which not in self.changed:
                self.changed.append(which)

    def fail(self, key: str, **values) -> CheckFailed:
        """The ``CheckFailed`` for the hint ``key``, its template filled with ``values`` (raise it)."""
        template, where = self.check.hints.get(key), f"{self.check.name}:{key}"
        if template is None:
            template, where = GENERIC_HINTS.get(key), f"hint:{key}"
        if template is None:
            raise KeyError(f"{self.check.name} has no hint {key!r}")
        return CheckFailed("✗ " + i18n.translate(template, where).format(name=self.check.name, **values), key)

    def text(self, key: str, **values) -> str:
        """The check's text ``key`` (a part of a hint that the check words, such as which case failed), in the
        running edition's language, filled with ``values``."""
        return i18n.translate(self.check.texts[key], f"{self.check.name}:text:{key}").format(**values)

    def call(self, *args, watch: bool = True, **kwargs):
        """The answer called on ``args``. Its ``NotImplementedError`` means blank; another exception becomes the
        "raised" hint about the student's code (not a traceback into coursekit). With ``watch``, a call of the
        reference or of a forbidden function fails with its hint."""
        watched = {**self.check.forbidden, **dict.fromkeys(self.check.references, "")}
        spy = _Watch(watched) if watch and watched else None
        ops = _OpWatch(self.check.forbidden_ops) if watch and self.check.forbidden_ops else contextlib.nullcontext()
        given = [(_argument(i, a), a, a.detach().clone()) for i, a in enumerate(args) if torch.is_tensor(a)]
        given += [(message("keyword argument", key=k, what=_describe(a)), a, a.detach().clone())
                  for k, a in kwargs.items() if torch.is_tensor(a)]
        previous = sys.getprofile()
        if spy is not None:
            sys.setprofile(spy)
        try:
            with ops:
                out = self.answer(*args, **kwargs)
        except NotImplementedError as err:
            raise _Blank from err
        except CheckFailed:
            raise
        except Exception as err:  # the student's code failed: say where
            shown = ", ".join([_describe(a) for a in args] + [f"{k}={_describe(v)}" for k, v in kwargs.items()])
            for key, recognise in self.check.errors.items():
                if recognise(err):
                    raise self.fail(key, error=f"{type(err).__name__}: {err}") from err
            raise self.fail("raised", error=f"{type(err).__name__}: {err}", arguments=shown) from err
        finally:
            if spy is not None:
                sys.setprofile(previous)
            self._record_changes(given)
        if spy is not None and spy.seen:
            fn = spy.seen[0]
            if fn in self.check.references:
                raise self.fail("calls the reference", what=_qualified(fn))
            why = i18n.translate(self.check.forbidden[fn], f"{self.check.name}:why:{_qualified(fn)}")
            raise self.fail("forbidden", what=_qualified(fn), why=why)
        if isinstance(ops, _OpWatch) and ops.seen:
            op = ops.seen[0]
            why = i18n.translate(self.check.forbidden_ops[op], f"{self.check.name}:why:{op}")
            raise self.fail("forbidden", what=message("operation", op=op), why=why)
        return out

    def expect_tensor(self, out, like: torch.Tensor | tuple[int, ...]) -> None:
        """Fail unless ``out`` is a tensor shaped like ``like`` (a tensor or a shape)."""
        if out is None:
            raise self.fail("returns None")
        if not torch.is_tensor(out):
            raise self.fail("not a tensor", kind=type(out).__name__)
        shape = tuple(like.shape) if torch.is_tensor(like) else tuple(like)
        if tuple(out.shape) != shape:
            raise self.fail("shape", got=tuple(out.shape), expected=shape)
        if torch.is_tensor(like) and like.is_floating_point() and out.is_floating_point() and out.dtype != like.dtype:
            raise self.fail("dtype", got=out.dtype, expected=like.dtype)


class Check:
    """The check of one exercise. ``check(answer)`` prints the verdict; ``check.grade(answer)`` fails a blank or
    wrong answer (nbgrader's hidden test); ``check.passes(answer)`` only tells.

    name: the exercise's function name. run: a function of a ``Trial`` that returns when the answer is right and
    raises ``trial.fail(key, …)`` when it is wrong. hints: {key: message template} for this exercise (the templates
    may use ``{name}`` and the values given to ``fail``). reference: the course's implementation of the exercise,
    which the answer must not call. forbidden: {function: why} that the answer must not call. errors: {key: function
    of an exception → bool}, for exceptions that a typical mistake raises, told by the hint ``key`` instead of the
    generic "raised". texts: {key: template} of the parts of hints that the check words itself (which case failed),
    given by ``trial.text`` in the edition's language.
    """

    def __init__(self, name: str, run: Callable[[Trial], None], hints: dict[str, str],
                 reference: Callable | None = None, forbidden: dict[Callable, str] | None = None,
                 errors: dict[str, Callable[[Exception], bool]] | None = None,
                 forbidden_ops: dict | None = None, texts: dict[str, str] | None = None):
        unknown = [key for key in errors or {} if key not in hints]
        if unknown:
            raise ValueError(f"errors names hints that {name} does not have: {unknown}")
        self.name = name
        self._run = run
        self.hints = dict(hints)
        self.reference = reference
        self.forbidden = dict(forbidden or {})
        self.forbidden_ops = dict(forbidden_ops or {})
        self.errors = dict(errors or {})
        self.texts = dict(texts or {})
        # the check's own oracles (functions of its module) count as references too
        module = sys.modules.get(run.__module__)
        oracles = [fn for fn in vars(module).values() if inspect.isfunction(fn) and fn.__module__ == run.__module__
                   and fn is not run] if module is not None else []
        self.references = ([reference] if reference is not None else []) + oracles
        self.__doc__ = run.__doc__
        self._last: tuple[Any, BaseException | None] | None = None  # (answer, outcome) of the latest try

    def __repr__(self) -> str:
        return f"<check of the exercise {self.name!r}>"

    def outcome(self, answer: Any, again: bool = True) -> BaseException | None:
        """None when ``answer`` is right; else the ``CheckFailed`` that says why, or ``_Blank``. ``again=False``
        reuses the verdict of the latest try when it was on this very answer. Warnings raised while it runs are
        printed as notes on standard output (nbgrader scores 0 a cell that writes to stderr)."""
        if not again and self._last is not None and self._last[0] is answer:
            return self._last[1]
        trial = Trial(self, answer)
        # the student's random numbers stay as they were: the check draws from a forked generator
        with warnings.catch_warnings(record=True) as caught, torch.random.fork_rng(devices=[]):
            warnings.simplefilter("always")
            try:
                with _time_limit(TIME_LIMIT_S):
                    self._run(trial)
                result = None
            except _Blank as err:
                result = err
            except CheckFailed as err:
                # a verdict reached on inputs the answer changed is not about the answer's result: say what it did
                # (hints about a change it made have keys that start with "changed")
                changed = trial.changed and not err.key.startswith("changed") and err.key not in _ABOUT_THE_CODE
                result = self._changed_its_input(trial.changed) if changed else err
            except _TimeUp:
                result = trial.fail("too slow", limit=TIME_LIMIT_S)
            except Exception as err:  # the check's own code could not handle the answer: say so, do not crash
                result = trial.fail("unexpected", error=f"{type(err).__name__}: {err}")
        for warning in {str(w.message) for w in caught}:
            print(message("note", name=self.name, warning=warning))
        self._last = (answer, result)
        return result

    def _changed_its_input(self, changed: list[str]) -> CheckFailed:
        """The verdict on an answer that changed its inputs (``changed``: which, as ``_argument`` names them)."""
        which = changed[0]
        for more in changed[1:]:
            which = message("and", first=which, second=more)
        template = i18n.translate(GENERIC_HINTS["changed its input"], "hint:changed its input")
        return CheckFailed("✗ " + template.format(name=self.name, which=which), "changed its input")

    def __call__(self, answer: Any) -> None:
        """Print "✓ passes", or "not implemented yet" for a blank answer; raise ``CheckFailed`` for a wrong one."""
        result = self.outcome(answer)
        if isinstance(result, _Blank):
            print(message("not implemented yet", name=self.name))
            return
        if result is not None:
            raise result.with_traceback(None)
        print(message("passes", name=self.name))

    def grade(self, answer: Any) -> None:
        """Return for a right answer; raise ``CheckFailed`` for a blank or wrong one (the graded cell fails)."""
        result = self.outcome(answer, again=False)
        if isinstance(result, _Blank):
            raise Trial(self, answer).fail("not implemented")
        if result is not None:
            raise result.with_traceback(None)

    def passes(self, answer: Any) -> bool:
        """True when ``answer`` is right; False when it is missing or wrong. Prints nothing but warnings. It reuses
        the verdict of the check cell just before when that tried this very answer."""
        return self.outcome(answer, again=False) is None


def working(answer: Callable, reference: Callable, check: Check) -> Callable:
    """The student's ``answer`` if it passes ``check``, else ``reference`` with a one-line note saying so.

    >>> relu = working(relu, ck.neuron.relu, ck.checks.check_relu)
    """
    if check.passes(answer):
        return answer
    print(message("using the reference", reference=_qualified(reference), name=check.name))
    return reference
