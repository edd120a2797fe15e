"""Checker for lesson 14 (capstone): the whole convolution layer, forward and backward, in numpy.

The learner writes ``conv2d_forward(x, weight, bias, stride, padding,
dilation, groups)`` and ``conv2d_backward(grad_out, x, weight, stride,
padding, dilation, groups) -> (dx, dw, db)``. :func:`check_conv2d_layer`
runs the pair over the geometry suite of :mod:`.capstone_geometry` against
PyTorch (float64) and a finite-difference check of the learner's own
forward, and on a failure localises the fault
(:mod:`.capstone_localise`): which feature breaks the layer, the smallest
geometry that still fails, and a grid of that case with the wrong cells
marked. The pair may use numpy only: a use of convlab, PyTorch or SciPy's
filters (found by :mod:`convlab.exercises.grading.forbidden` before anything
runs) fails the check, and the verdict says what was used and why not.
"""

import base64
import html
import io
from dataclasses import asdict

import numpy as np

from ..grading.engine import DEFAULT_TIME_LIMIT, time_limit_argument
from ..grading.forbidden import forbidden_uses, verdict_rows
from ..grading.result import FAILED, NOT_GRADED, NOT_IMPLEMENTED, PASSED, CheckResult
from ..grading.shrink import differing_cells
from ..grading.trusted import refusal
from .capstone_geometry import SUITE
from .capstone_localise import localise, run_pair
from .common import LOOPS, import_torch

__all__ = ["CapstoneResult", "check_conv2d_layer", "show_smallest_case"]

FORBID = LOOPS["forbid"]
"""No library convolution (numpy's, SciPy's, PyTorch's) and nothing from convlab."""

FORBID_WHY = ("the capstone asks you to write the whole layer in numpy (padding, slicing, "
              "np.einsum or np.tensordot, loops): convlab, torch or scipy would compute it "
              "for you.")

NAME = "conv2d_forward / conv2d_backward"

TASK = ("write conv2d_forward and conv2d_backward: the whole convolution layer (stride, "
        "asymmetric padding, dilation, groups, bias), forward and backward, in numpy")

WHY = ("your y, dx, dw and db match PyTorch on every geometry, from a 1x1 kernel to all "
       "features at once, and your gradients are those of your own forward.")


# ------------------------------------------------------------------ the verdict
class CapstoneResult(CheckResult):
    """A :class:`CheckResult` that also carries the localisation and draws the smallest case.

    ``localisation`` is a :class:`~.capstone_localise.Localisation` (None when the
    pair passed, was not implemented, or failed in a way not worth bisecting).
    Its HTML box shows the grid of the smallest failing case under the text.
    """

    def __init__(self, *args, localisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.localisation = localisation

    def verdict(self):
        """The structured verdict, with the localisation as its smallest failing case."""
        data = super().verdict()
        loc = self.localisation
        if loc is not None:
            data["smallest_failing_case"] = {
                "statement": loc.sentence(), "config": asdict(loc.smallest), "tried": loc.tried,
                "breaking": list(loc.breaking)}
        return data

    def _hints(self):
        """No generic hint: the localisation says where to look instead."""
        return [] if self.localisation is not None else super()._hints()

    @property
    def breaking(self):
        """Keys of the features that break the learner's layer (e.g. ``["stride", "remainder"]``)."""
        return list(self.localisation.breaking) if self.localisation else []

    @property
    def smallest_case(self):
        """The smallest failing :class:`~.capstone_geometry.Geometry`, or None."""
        return self.localisation.smallest if self.localisation else None

    def _repr_html_(self):
        box = super()._repr_html_()
        fault = self.localisation.fault if self.localisation else None
        if fault is None or fault.kind not in ("wrong values", "wrong shape"):
            return box
        png = io.BytesIO()
        fig = show_smallest_case(self).figure
        fig.savefig(png, format="png", dpi=96, bbox_inches="tight")
        import matplotlib.pyplot as plt  # already loaded by show_smallest_case
        plt.close(fig)
        data = base64.b64encode(png.getvalue()).decode()
        alt = html.escape(_alt_text(self), quote=True)
        return box[:-len("</div>")] + (f"<img style='display:block;margin-top:0.4em' "
                                       f"src='data:image/png;base64,{data}' alt='{alt}'></div>")


def _slice(fault):
    """``(title index, expected 2-D, got 2-D, wrong mask on got)`` of the first wrong image/channel."""
    expected, got = np.asarray(fault.expected), np.asarray(fault.got)
    if expected.ndim == 1:
        expected, got = expected[None], got.reshape(1, -1)
        index = ""
    else:
        if got.shape == expected.shape:
            wrong = ~np.isclose(got, expected, rtol=1e-8, atol=1e-8)
            b, c = np.argwhere(wrong.any(axis=(2, 3)))[0]
        else:
            b = c = 0
        index = f"[{b}, {c}]"
        expected, got = expected[b, c], (got[b, c] if got.ndim == 4 else got.reshape(got.shape[-2:]))
    if got.shape == expected.shape:
        mask = np.zeros(got.shape, bool)
        for cell in differing_cells(expected, got):
            mask[cell] = True
    else:  # cells outside the shape both have
        mask = np.ones(got.shape, bool)
        mask[:min(got.shape[0], expected.shape[0]), :min(got.shape[1], expected.shape[1])] = False
    return index, expected, got, mask


def _grid_text(values, mask=None):
    rows = []
    for r, row in enumerate(values):
        cells = [f"{v:g}" + ("*" if mask is not None and mask[r, c] else "")
                 for c, v in enumerate(row)]
        rows.append(" ".join(f"{cell:>6}" for cell in cells))
    return "\n".join(rows)


def _alt_text(result):
    loc = result.localisation
    index, _, _, mask = _slice(loc.fault)
    return (f"Two grids of the smallest failing case ({loc.smallest.describe()}): expected "
            f"{loc.fault.part}{index} and yours, {int(mask.sum())} wrong cells marked. "
            f"{loc.fault.text}")


def show_smallest_case(result, ax=None):
    """Draw the smallest failing case of a :class:`CapstoneResult`: expected and yours, wrong cells marked.

    Returns the Axes; its text alternative is in ``ax.convlab_alt``.
    """
    if not isinstance(result, CapstoneResult) or result.localisation is None:
        raise ValueError("result must be a failed check_conv2d_layer verdict with a smallest "
                         f"failing case; got {type(result).__name__}")
    from ...viz.grid import plot_row  # matplotlib loads only when a case is drawn
    fault = result.localisation.fault
    index, expected, got, mask = _slice(fault)
    marked = np.array([[f"{v:g}" + ("*" if wrong else "") for v, wrong in zip(row, flags)]
                       for row, flags in zip(got, mask)], dtype=object)
    grids = [{"values": expected, "name": "expected", "title": f"expected {fault.part}{index}"},
             {"values": got, "name": "yours", "title": f"yours {fault.part}{index}",
              "kinds": {"target": mask}, "texts": marked}]
    ax = plot_row(ax, grids, title="smallest failing case", legend=False,
                  footer=["* and colour: a wrong cell in yours", result.localisation.smallest.describe()])
    ax.convlab_alt = _alt_text(result)
    return ax


def check_conv2d_layer(conv2d_forward, conv2d_backward, *, time_limit=DEFAULT_TIME_LIMIT):
    """Check the capstone pair ``conv2d_forward`` / ``conv2d_backward`` and localise its fault.

    ``conv2d_forward(x, weight, bias, stride, padding, dilation, groups)`` gets
    ``x`` (N, C_in, H, W), ``weight`` (C_out, C_in // groups, kH, kW), ``bias``
    (C_out,) or None, ``stride`` and ``dilation`` as pairs ``(sH, sW)``,
    ``padding`` as ``((top, bottom), (left, right))``, ``groups`` an int, and
    returns ``y`` (N, C_out, H_out, W_out).
    ``conv2d_backward(grad_out, x, weight, stride, padding, dilation, groups)``
    returns ``(dx, dw, db)`` with the shapes of ``x``, ``weight`` and
    ``(C_out,)``. Both use numpy only. Reference: PyTorch in float64.

    Parameters
    ----------
    conv2d_forward, conv2d_backward : callable
        What the learner wrote.
    time_limit : float
        Seconds allowed per geometry.

    Returns
    -------
    CapstoneResult
        Truthy on a pass; on a failure it names the feature that breaks the
        layer (``.breaking``) and the smallest failing case (``.smallest_case``).
    """
    for name, fn in (("conv2d_forward", conv2d_forward), ("conv2d_backward", conv2d_backward)):
        if not callable(fn):
            raise TypeError(f"{name} must be the function you wrote (a callable), "
                            f"got {type(fn).__name__}: {fn!r:.60}")
    time_limit = time_limit_argument(time_limit)
    n = len(SUITE)
    refused = refusal()
    if refused is not None:
        return CapstoneResult(NAME, NOT_GRADED, n, reason="not graded",
                              details=[("", refused)]).show()
    uses = forbidden_uses(conv2d_forward, FORBID) + forbidden_uses(conv2d_backward, FORBID)
    if uses:
        return CapstoneResult(NAME, FAILED, n, reason="forbidden call", task=TASK,
                              details=verdict_rows(uses, FORBID_WHY)).show()
    import_torch()  # before any learner code runs under a time limit
    labels, geometries = zip(*SUITE)
    faults = run_pair(conv2d_forward, conv2d_backward, geometries, time_limit)
    failing = [i for i, f in enumerate(faults) if f is not None]
    if not failing:
        return CapstoneResult(NAME, PASSED, n, n, task=TASK, why=WHY).show()
    first = failing[0]
    fault = faults[first]
    if fault.kind == "raised" and getattr(fault.got, "not_implemented", False) and first == 0:
        return CapstoneResult(NAME, NOT_IMPLEMENTED, n, task=TASK).show()
    details = [("right on", f"{n - len(failing)} of the {n} geometries of the suite")]
    loc = None
    if fault.kind in ("wrong values", "wrong shape", "wrong type", "raised"):
        loc = localise(conv2d_forward, conv2d_backward, geometries[first], fault, time_limit)
        details += _localised_rows(loc)
    else:
        details += [("", fault.text)]
    return CapstoneResult(NAME, FAILED, n, first, case=labels[first], reason=fault.kind,
                          details=details, localisation=loc, task=TASK).show()


check_conv2d_layer.forbid, check_conv2d_layer.forbid_why = FORBID, FORBID_WHY  # the rule a lesson states
check_conv2d_layer.weight = 3  # points in a graded course


def _localised_rows(loc):
    fault = loc.fault
    rows = [("feature", loc.sentence() + "."),
            ("what is wrong", fault.text)]
    if loc.where_to_look():
        rows.append(("where to look", loc.where_to_look()))
    rows.append(("smallest failing case", loc.smallest.describe()))
    if fault.kind in ("wrong values", "wrong shape"):
        index, expected, got, mask = _slice(fault)
        rows += [(f"expected {fault.part}{index}", _grid_text(expected)),
                 (f"yours {fault.part}{index} (* marks a wrong cell)", _grid_text(got, mask))]
    agree = fault.finite_differences
    if agree:
        bad = [part for part, ok in agree.items() if not ok]
        if bad:
            verb = "disagrees" if len(bad) == 1 else "disagree"
            rows.append(("finite differences", (f"your {', '.join(bad)} {verb} with central "
                         "differences of your own conv2d_forward: the backward is not the "
                         "gradient of your forward.")))
        elif fault.part == "y":
            rows.append(("finite differences", ("your dx, dw and db are the gradients of your "
                         "own conv2d_forward (central differences agree): fix the forward "
                         "first.")))
    return rows
