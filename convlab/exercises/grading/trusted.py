"""Nothing in the session can change a verdict: the library as it was when checks were imported.

A learner's cell runs in the same session as the checker, so it can rebind
library names (``np.allclose = lambda *a, **k: True``, ``cl.correlate2d =
mine``). The comparison, the references and the diagnosis are bound when
:mod:`convlab.exercises` is imported (``from convlab import correlate2d`` in
the checker modules; ``allclose`` and friends below), and :func:`replaced`
tells, before a check grades, whether any public function of numpy, of the
loaded ``convlab`` modules, of the builtins or of torch has been rebound since
then. A check then refuses to grade ("not graded: numpy's `allclose` was
replaced in this session -- restart the kernel"): a reference computed by a
rebound inner function could be wrong, and a verdict is never given on it.

Only rebinding a module attribute is seen; what a learner does inside the
child process that runs their code dies with it.
"""

import builtins
import operator
import sys
import types

import numpy as np

allclose = np.allclose
array_equal = np.array_equal
asarray = np.asarray
"""The numpy functions the comparison uses, as imported."""

_BUILTINS = ("abs", "all", "any", "bool", "callable", "dict", "enumerate", "float", "getattr",
             "hasattr", "int", "isinstance", "issubclass", "iter", "len", "list", "max", "min",
             "next", "range", "repr", "round", "sorted", "str", "sum", "tuple", "type", "vars",
             "zip")
"""The built-ins the checking code relies on (others, e.g. ``input``, are replaced by Jupyter)."""
_SKIPPED = ("convlab.exercises.checkers.",)  # lesson helpers appended at run time are not references


def _callables(module):
    """``{name: object}`` of the module's public callables (functions, classes)."""
    try:
        items = list(vars(module).items())
    except TypeError:
        return {}
    return {name: value for name, value in items
            if not name.startswith("__") and callable(value)
            and not isinstance(value, types.ModuleType)}


def _watched(name):
    if name.startswith(_SKIPPED):
        return False
    if name.startswith("torch"):  # torch's top level and functional are what references use
        return name in ("torch", "torch.nn.functional")
    return name == "numpy" or name.startswith(("numpy.linalg", "numpy.fft", "numpy.lib",
                                              "numpy._core.numeric", "numpy._core.fromnumeric",
                                              "numpy.core.numeric", "convlab"))


def _rebound_by_library(module_name, name, value):
    """True when torch rebinds one of its own names to its own function of the same name
    (``torch.manual_seed`` is rebound to a wrapper once some torch submodules load)."""
    return (module_name.startswith("torch") and getattr(value, "__name__", None) == name
            and str(getattr(value, "__module__", "")).startswith("torch"))


class _Snapshot:
    """The watched modules' callables, captured once, then compared by identity."""

    def __init__(self):
        self.modules = {}  # module name -> (module, {name: object})
        self.seen = 0  # len(sys.modules) at the last capture
        self.capture()

    def capture(self):
        """Capture modules loaded since the last capture (e.g. torch imported later)."""
        self.seen = len(sys.modules)
        for name, module in list(sys.modules.items()):
            if name in self.modules or module is None or not _watched(name):
                continue
            self.modules[name] = (module, _callables(module))
        if "builtins" not in self.modules:
            self.modules["builtins"] = (builtins, {name: getattr(builtins, name)
                                                   for name in _BUILTINS})

    def replaced(self):
        """``(module name, attribute)`` of the first rebound callable, or None."""
        if len(sys.modules) != self.seen:
            self.capture()
        for module_name, (module, captured) in self.modules.items():
            current = vars(module)
            names, values = captured.keys(), captured.values()
            if all(map(operator.is_, map(current.get, names, values), values)):  # C speed
                continue
            for name, value in list(captured.items()):
                now = current.get(name, value)
                if now is value:
                    continue
                if _rebound_by_library(module_name, name, now):
                    captured[name] = now  # the library's own wrapper of the same function
                    continue
                return module_name, name
        return None


_SNAPSHOT = _Snapshot()


def replaced():
    """``(module, name)`` of a library function rebound in this session, or None.

    Examples
    --------
    >>> replaced() is None
    True
    """
    return _SNAPSHOT.replaced()


def refusal():
    """The "not graded" sentence when library functions were replaced, else None.

    Examples
    --------
    >>> refusal() is None
    True
    """
    found = replaced()
    if found is None:
        return None
    module, name = found
    owner = module.split(".")[0]
    owner = {"builtins": "Python's built-in"}.get(owner, f"{owner}'s")
    where = "" if module in ("numpy", "convlab", "torch", "builtins") else f" (in `{module}`)"
    return (f"not graded: {owner} `{name}`{where} was replaced in this session, and the "
            "checker relies on it; restart the kernel (Kernel > Restart) and run the "
            "cells again without replacing library functions.")
