"""What the learner must write themselves: find the library calls an exercise forbids.

An exercise that asks for a loop declares the calls that would do the work
for the learner, e.g. ``forbid=("numpy.correlate", "numpy.convolve",
"scipy.signal", "scipy.ndimage", "torch", "convlab")``. Before any case
runs, :func:`forbidden_uses` reads the learner's function *without running
it*: its bytecode (every global name it loads and the attributes taken from
it, every ``import`` in it, its default arguments and closure), and, the
same way, every function it reaches that was written by the learner (in the
notebook, or any file outside the installed libraries). A name matches an
entry when it is the entry or lies under it (``scipy.signal.correlate2d``
is under ``scipy.signal``). Names are resolved through the objects they
refer to, so ``from numpy import correlate as c`` or ``import numpy as
anything`` are seen too.

What this cannot see: a name built at run time (``getattr(np, "corr" +
"elate")``, ``eval``, ``__import__`` of a computed string). Those take
deliberate effort and are listed in ``docs/EXERCISES.md`` as the remaining
attacks.
"""

import dis
import functools
import inspect
import sys
import types
from dataclasses import dataclass

from ..sandbox.outcome import is_learner_code

DEFAULT_WHY = ("this exercise asks you to write the computation yourself (loops and "
               "slicing); a library call that computes it would skip what it teaches.")
"""Why a forbidden call fails an exercise, unless the exercise says more."""

_LOADS = {"LOAD_GLOBAL", "LOAD_NAME"}
_ATTRS = {"LOAD_ATTR", "LOAD_METHOD"}
_MAX_FUNCTIONS = 200  # learner functions followed from one check


@dataclass(frozen=True)
class Use:
    """One forbidden name found in the learner's code.

    Attributes
    ----------
    name : str
        The library name used, e.g. ``"numpy.correlate"``.
    entry : str
        The forbidden entry it falls under, e.g. ``"numpy.correlate"`` or ``"scipy.signal"``.
    function : str
        The learner's function where it is used.
    line : int or None
        Its line in that function's cell or file.
    """

    name: str
    entry: str
    function: str
    line: object = None

    @property
    def text(self):
        """``"`numpy.correlate` (in `correlate1d`, line 3)"``."""
        where = f"in `{self.function}`" + (f", line {self.line}" if self.line else "")
        return f"`{self.name}` ({where})"


def rule_sentence(forbid, why=None):
    """The sentence an exercise's text shows so that a learner knows the rule before a check.

    Lessons state it in each exercise's prompt (``tests/test_lessons_state_rules.py`` keeps
    the two in step).

    Examples
    --------
    >>> rule_sentence(("numpy.correlate", "torch"), "this exercise asks for loops.")
    '**Not allowed here:** `numpy.correlate`, `torch` (the checker refuses them): this exercise asks for loops.'
    """
    names = ", ".join(f"`{name}`" for name in forbid)
    return f"**Not allowed here:** {names} (the checker refuses them): {why or DEFAULT_WHY}"


def forbid_argument(forbid):
    """A validated tuple of dotted names (``TypeError``/``ValueError`` naming ``forbid``).

    Examples
    --------
    >>> forbid_argument(["numpy.correlate", "torch"])
    ('numpy.correlate', 'torch')
    """
    if isinstance(forbid, str) or not isinstance(forbid, (tuple, list)):
        raise TypeError(f"forbid must be a tuple of dotted names such as 'numpy.correlate', "
                        f"got {type(forbid).__name__}: {forbid!r:.60}")
    for entry in forbid:
        if not isinstance(entry, str) or not all(part.isidentifier()
                                                 for part in str.__str__(entry).split(".")):
            raise ValueError(f"forbid must hold dotted names such as 'numpy.correlate', "
                             f"got {entry!r:.60}")
    return tuple(str.__str__(entry) for entry in forbid)


def forbidden_uses(fn, forbid):
    """The forbidden names the learner's ``fn`` (and the learner functions it calls) uses.

    Parameters
    ----------
    fn : callable
        The learner's function, class or callable object.
    forbid : sequence of str
        Dotted names: modules (``"torch"``, ``"scipy.signal"``) or functions
        (``"numpy.correlate"``).

    Returns
    -------
    list of Use
        In the order found, one per (name, function); empty when none is used.

    Examples
    --------
    >>> import numpy as np
    >>> def correlate1d(p, w):
    ...     return np.correlate(p, w, mode="valid")
    >>> [u.name for u in forbidden_uses(correlate1d, ("numpy.correlate", "torch"))]
    ['numpy.correlate']
    >>> forbidden_uses(lambda p, w: np.array([p[i:i + len(w)] @ w for i in range(3)]),
    ...                ("numpy.correlate",))
    []
    """
    forbid = forbid_argument(forbid)
    if not forbid:
        return []
    known = _known_names(forbid)
    found, seen, queue = [], set(), list(_functions_of(fn))
    while queue and len(seen) < _MAX_FUNCTIONS:
        function = queue.pop(0)
        if id(function) in seen:
            continue
        seen.add(id(function))
        for names, line, target in _names_used(function, known):
            matched = [(name, _matching(name, forbid)) for name in sorted(names, key=len)]
            matched = [(name, entry) for name, entry in matched if entry]
            if matched:
                name, entry = _clearest(matched)
                if all((u.name, u.function) != (name, function.__name__) for u in found):
                    found.append(Use(name, entry, function.__name__, line))
            if target is not None and _written_by_learner(target):
                queue.extend(_functions_of(target))
    return found


def _clearest(matched):
    """The name to show: specific (not a prefix of another), public, then short:
    `convlab.correlate2d` rather than `convlab` or `convlab.conv.correlate.correlate2d`."""
    names = [name for name, _ in matched]
    specific = [(name, entry) for name, entry in matched
                if not any(other.startswith(name + ".") for other in names)]
    return min(specific, key=lambda pair: ("._" in pair[0], len(pair[0])))


_KNOWN = {}  # forbid -> (len(sys.modules), known names): rebuilt when modules are imported


def _known_names(forbid):
    """``{id(object): dotted name}`` for the top-level functions of every forbidden module
    (so that ``from torch import conv2d as c`` is known by its name)."""
    cached = _KNOWN.get(forbid)
    if cached is not None and cached[0] == len(sys.modules):
        return cached[1]
    known = {}
    for entry in forbid:
        module = sys.modules.get(entry)
        if module is not None:
            for name, value in list(vars(module).items()):
                if callable(value) and not name.startswith("_"):
                    known.setdefault(id(value), f"{entry}.{name}")
    _KNOWN[forbid] = (len(sys.modules), known)
    return known


def _matching(name, forbid):
    return next((entry for entry in forbid if name == entry or name.startswith(entry + ".")), None)


def _written_by_learner(target):
    code = getattr(target, "__code__", None)
    if isinstance(target, type):
        return target.__module__ == "__main__" or _module_is_learners(target.__module__)
    return isinstance(code, types.CodeType) and is_learner_code(code.co_filename)


def _module_is_learners(module_name):
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    return filename is not None and is_learner_code(filename)


def _functions_of(target):
    """The plain Python functions behind a learner's callable (methods of a class, too)."""
    if isinstance(target, functools.partial):
        return _functions_of(target.func)
    if isinstance(target, types.MethodType):
        return _functions_of(target.__func__)
    if isinstance(target, types.FunctionType):
        return [target]
    if isinstance(target, (staticmethod, classmethod)):
        return _functions_of(target.__func__)
    cls = target if isinstance(target, type) else type(target)
    if not (cls.__module__ == "__main__" or _module_is_learners(cls.__module__)):
        return []
    functions = []
    for klass in cls.__mro__:
        if klass.__module__ == "__main__" or _module_is_learners(klass.__module__):
            for value in vars(klass).values():
                functions.extend(_functions_of(value) if isinstance(
                    value, (types.FunctionType, staticmethod, classmethod)) else [])
    return functions


def _names_used(function, known):
    """``({dotted names}, line, object or None)`` for each name ``function`` reaches."""
    names = []
    for value in (function.__defaults__ or ()) + tuple((function.__kwdefaults__ or {}).values()):
        names.append((_names_of(value, known), None, value))
    cells = dict(zip(function.__code__.co_freevars,
                     (_cell_value(c) for c in (function.__closure__ or ()))))
    for code in _codes(function.__code__):
        names.extend(_names_in_code(code, function.__globals__, cells, known))
    return names


def _cell_value(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _codes(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _names_in_code(code, globals_, cells, known):
    names, chain, line, imported = [], None, None, []
    for instruction in dis.get_instructions(code):
        if instruction.starts_line:
            line = instruction.starts_line
        op = instruction.opname
        if op in _ATTRS and chain is not None:
            chain = _step(chain, instruction.argval, known)
            continue
        if chain is not None:
            names.append((chain[0], line, chain[2]))
        chain = None
        if op in _LOADS:
            value = _lookup(instruction.argval, globals_)
            chain = _start(value, known) if value is not _MISSING else None
        elif op in ("LOAD_DEREF", "LOAD_CLASSDEREF") and instruction.argval in cells:
            chain = _start(cells[instruction.argval], known)
        elif op == "IMPORT_NAME":
            imported.append(instruction.argval)
            names.append(({instruction.argval}, line, None))
        elif op == "IMPORT_FROM" and imported:
            module, name = imported[-1], instruction.argval
            names.append(({module if module.endswith("." + name) else f"{module}.{name}"},
                          line, None))
    if chain is not None:
        names.append((chain[0], line, chain[2]))
    return names


_MISSING = object()


def _lookup(name, globals_):
    if name in globals_:
        return globals_[name]
    builtins = globals_.get("__builtins__")
    builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins
    return builtins.get(name, _MISSING) if isinstance(builtins, dict) else _MISSING


def _start(value, known):
    """A chain ``(every name seen, the current names, the current object)`` from a loaded value."""
    names = _names_of(value, known)
    return (set(names), names, value)


def _step(chain, attribute, known):
    """Follow ``.attribute`` without running any code: through modules and classes only."""
    seen, current, value = chain
    found = None
    if isinstance(value, types.ModuleType):
        found = vars(value).get(attribute, sys.modules.get(f"{value.__name__}.{attribute}"))
    elif isinstance(value, type):  # read statically: no property or __getattr__ runs
        found = inspect.getattr_static(value, attribute, None)
    elif value is not None:  # an instance (e.g. the learner's array): its methods are not names
        return (seen, set(), None)
    current = {f"{name}.{attribute}" for name in current} | _names_of(found, known)
    return (seen | current, current, found)


_PLAIN_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.ModuleType, type)


def _names_of(value, known):
    """The dotted names an object is known by: a module's name, a function's home and name."""
    if isinstance(value, types.ModuleType):
        return {value.__name__}
    names = {known[id(value)]} if id(value) in known else set()
    if isinstance(value, types.FunctionType) and _written_by_learner(value):
        return names  # the learner's own function is followed, not named by where it was defined
    kind = type(value)
    if isinstance(value, _PLAIN_CALLABLES) or (callable(value) and not (
            kind.__module__ == "__main__" or _module_is_learners(kind.__module__))):
        module = getattr(value, "__module__", None)  # a library's type: no learner code runs
        qualname = getattr(value, "__qualname__", getattr(value, "__name__", None))
        if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
            names.add(f"{module}.{qualname}")
    return names


def verdict_rows(uses, why=DEFAULT_WHY):
    """The ``(label, text)`` rows a verdict shows for forbidden uses.

    Examples
    --------
    >>> verdict_rows([Use("numpy.correlate", "numpy.correlate", "correlate1d", 3)])[0]
    ('used', '`numpy.correlate` (in `correlate1d`, line 3)')
    """
    rows = [("used", "; ".join(use.text for use in uses))]
    return rows + [("why not", why)]
