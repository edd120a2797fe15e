"""The configuration space of a convolution layer, feature by feature (capstone checker).

A :class:`Geometry` is one layer configuration: batch, channels, image and
kernel size, stride, padding (top, bottom, left, right), dilation, groups,
bias. A :class:`Feature` is one thing a layer can get wrong (a stride larger
than 1, padding that differs between the two sides, windows that overlap...):
it says whether a geometry has it and how to switch it off while keeping
the rest. The fault localiser (:mod:`.capstone_localise`) walks this space
from a failing geometry to the smallest one that still fails; the features
it could not switch off are the ones that break the learner's layer.

:data:`SUITE` is the geometry suite the checker runs first, simplest first.
"""

import zlib
from dataclasses import dataclass, replace

import numpy as np

from .common import ints


@dataclass(frozen=True)
class Geometry:
    """One layer configuration; ``stride``, ``dilation`` are ``(H, W)`` pairs,
    ``padding`` is ``((top, bottom), (left, right))``."""

    n: int = 1
    c_in: int = 1
    c_out: int = 1
    h: int = 4
    w: int = 4
    kh: int = 2
    kw: int = 2
    stride: tuple = (1, 1)
    padding: tuple = ((0, 0), (0, 0))
    dilation: tuple = (1, 1)
    groups: int = 1
    bias: bool = False

    def extent(self, axis):
        """Rows (axis 0) or columns (axis 1) a dilated kernel spans: ``d(k - 1) + 1``."""
        k = (self.kh, self.kw)[axis]
        return self.dilation[axis] * (k - 1) + 1

    def span(self, axis):
        """``H + p_top + p_bottom - d(k - 1) - 1`` (or the same along W): what the stride must divide."""
        n = (self.h, self.w)[axis]
        return n + sum(self.padding[axis]) - self.extent(axis)

    def output_size(self):
        return tuple(self.span(a) // self.stride[a] + 1 for a in (0, 1))

    @property
    def valid(self):
        """A legal configuration: channels split into groups, the kernel fits the padded input."""
        return (min(self.n, self.c_in, self.c_out, self.h, self.w, self.kh, self.kw, self.groups) >= 1
                and self.c_in % self.groups == 0 and self.c_out % self.groups == 0
                and self.span(0) >= 0 and self.span(1) >= 0)

    @property
    def x_shape(self):
        return (self.n, self.c_in, self.h, self.w)

    @property
    def weight_shape(self):
        return (self.c_out, self.c_in // self.groups, self.kh, self.kw)

    @property
    def out_shape(self):
        return (self.n, self.c_out) + self.output_size()

    def arrays(self):
        """``(x, weight, bias or None, grad_out)``: small integer-valued float64 arrays, the same
        for the same geometry (seeded by it), so a verdict is reproducible.

        Examples
        --------
        >>> x, w, b, g = Geometry(kh=3, kw=3, h=5, w=5).arrays()
        >>> x.shape, w.shape, b, g.shape
        ((1, 1, 5, 5), (1, 1, 3, 3), None, (1, 1, 3, 3))
        """
        rng = np.random.default_rng(zlib.crc32(repr(self).encode()))
        x, weight = ints(rng, *self.x_shape), ints(rng, *self.weight_shape)
        bias = ints(rng, self.c_out) if self.bias else None
        return x, weight, bias, ints(rng, *self.out_shape)

    def size(self):
        """How large the case is, to choose the smallest: features first, then numbers shown."""
        return (len(features_of(self)), self.n * self.c_in * self.h * self.w
                + int(np.prod(self.weight_shape)) + int(np.prod(self.out_shape)))

    def settings(self):
        """The keyword arguments the learner's functions get: ``stride, padding, dilation, groups``."""
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation,
                "groups": self.groups}

    def describe(self):
        """One line naming every setting, e.g. for the verdict's smallest failing case."""
        (top, bottom), (left, right) = self.padding
        return (f"x {self.x_shape}, weight {self.weight_shape}, "
                f"{'bias' if self.bias else 'no bias'}, stride {self.stride}, "
                f"padding ((top {top}, bottom {bottom}), (left {left}, right {right})), "
                f"dilation {self.dilation}, groups {self.groups}")


@dataclass(frozen=True)
class Feature:
    """Something a layer may get wrong: ``present(geometry)``, ``off(geometry)`` (one geometry
    without it, or a list of ways to switch it off), what it is called when on
    (``wrong_when``) and off (``right_for``), and where to look when it breaks a layer."""

    key: str
    wrong_when: str
    right_for: str
    present: object
    off: object
    look: str = ""

    def switched_off(self, geometry):
        """The legal geometries like ``geometry`` but without this feature.

        Examples
        --------
        >>> [(g.h, g.w) for g in FEATURES[-1].switched_off(Geometry(h=3, w=4))]
        [(3, 3), (4, 4)]
        """
        offs = self.off(geometry)
        offs = offs if isinstance(offs, list) else [offs]
        return [g for g in dict.fromkeys(offs) if g.valid and g != geometry]


def _both(fn):
    return tuple(fn(a) for a in (0, 1))


def _divide(g):
    """The image shortened so that the stride divides the span on both axes."""
    r = _both(lambda a: g.span(a) % g.stride[a])
    return replace(g, h=g.h - r[0], w=g.w - r[1])


def _square(g, axis=0):
    """Both axes set as the H axis is (``axis=0``) or as the W axis is (``axis=1``)."""
    def pick(pair):
        return (pair[axis],) * 2

    n, k = (g.h, g.w)[axis], (g.kh, g.kw)[axis]
    return replace(g, h=n, w=n, kh=k, kw=k, stride=pick(g.stride), dilation=pick(g.dilation),
                   padding=pick(g.padding))


def _symmetric(g):
    return replace(g, padding=tuple((max(p), max(p)) for p in g.padding))


def _apart(g):
    """Windows that do not overlap: the stride raised to the kernel's extent."""
    return replace(g, stride=_both(lambda a: max(g.stride[a], g.extent(a))))


FEATURES = (
    Feature("kernel", "the kernel is larger than 1x1", "1x1 kernels",
            lambda g: g.kh > 1 or g.kw > 1, lambda g: replace(g, kh=1, kw=1),
            look=('a layer correlates: tap (m, n) multiplies x_p[s*i + d*m, s*j + d*n], with no '
                  'flip of the kernel, in the forward and the backward alike.')),
    Feature("batch", "the batch has more than one image", "a batch of one image",
            lambda g: g.n > 1, lambda g: replace(g, n=1),
            look=('the same weight and bias serve every image: dw and db sum over the batch, while '
                  'dx keeps one gradient per image.')),
    Feature("bias", "the layer has a bias", "no bias",
            lambda g: g.bias, lambda g: replace(g, bias=False),
            look=('bias[o] is added to every cell of output channel o; db sums grad_out over the '
                  'batch, rows and columns.')),
    Feature("groups", "groups > 1 (each output channel reads only its group's input channels)",
            "groups = 1", lambda g: g.groups > 1,
            lambda g: replace(g, groups=1),
            look=('groups are contiguous blocks: output channel o reads input channels g*C_g to '
                  '(g+1)*C_g - 1, with g = o // (C_out / groups), and sends its gradient back only '
                  'there.')),
    Feature("channels", "a group has several input or output channels",
            "one input and one output channel per group",
            lambda g: g.c_in > g.groups or g.c_out > g.groups,
            lambda g: replace(g, c_in=g.groups, c_out=g.groups),
            look=('check the channel indices: output channel o belongs to group o // (C_out / '
                  'groups); every output of a group reads every input channel of that group.')),
    Feature("dilation", "dilation > 1", "dilation 1",
            lambda g: max(g.dilation) > 1, lambda g: replace(g, dilation=(1, 1)),
            look=('taps sit d apart: tap m reads row s*i + d*m, in the backward exactly as in the '
                  'forward.')),
    Feature("padding", "there is padding", "no padding",
            lambda g: any(map(any, g.padding)), lambda g: replace(g, padding=((0, 0), (0, 0))),
            look='pad x before the sums, then crop the padding off the gradient of x_p to get dx.'),
    Feature("asymmetric", "the padding differs between the two sides (top != bottom or "
            "left != right)", "the same padding on both sides",
            lambda g: any(a != b for a, b in g.padding), _symmetric,
            look=('crop p_top rows at the top and p_bottom at the bottom (p_left, p_right for '
                  'columns), not the other way round.')),
    Feature("stride", "stride > 1", "stride 1",
            lambda g: max(g.stride) > 1, lambda g: replace(g, stride=(1, 1)),
            look=('output (i, j) read the window at (s_H*i, s_W*j): the backward must send its '
                  'gradient back to that same window.')),
    Feature("remainder", "the stride does not divide (H + p_top + p_bottom - d(k-1) - 1), so the "
            "last input rows or columns are read by no window",
            "a stride that divides (H + p_top + p_bottom - d(k-1) - 1)",
            lambda g: any(g.span(a) % g.stride[a] for a in (0, 1)), _divide,
            look=('rows that no window reads are still rows of x: dx has the shape of x (not a size'
                  ' computed from the output), with 0 in those rows.')),
    Feature("overlap", "windows overlap (kernel extent d(k-1)+1 > stride), so an input cell "
            "receives from several outputs", "windows that do not overlap",
            lambda g: any(g.extent(a) > g.stride[a] for a in (0, 1)), _apart,
            look=('where windows overlap an input cell receives a gradient from several outputs: '
                  'add them (+=), do not assign (=).')),
    Feature("nonsquare", "the two axes differ (H != W, kH != kW, or different stride, "
            "dilation or padding along H and W)", "square inputs and kernels, the same along H and W",
            lambda g: _square(g) != g, lambda g: [_square(g, 0), _square(g, 1)],
            look=('H and W are mixed up somewhere: compare kH with kW, s_H with s_W, d_H with d_W '
                  'and top/bottom with left/right.')),
)
"""Every feature, in the order the localiser tries to switch them off."""


def features_of(geometry):
    """The keys of the features ``geometry`` has.

    Examples
    --------
    >>> features_of(Geometry(h=6, w=6, kh=3, kw=3, stride=(2, 2)))
    ['kernel', 'stride', 'remainder', 'overlap']
    """
    return [f.key for f in FEATURES if f.present(geometry)]


def smaller(geometry):
    """Geometries one step smaller in size (image, channels), still legal."""
    g = geometry
    steps = [replace(g, h=g.h - d, w=g.w - e) for d in (0, 1, 2) for e in (0, 1, 2) if d or e]
    steps += [replace(g, h=(g.h + 1) // 2, w=(g.w + 1) // 2)]
    if g.c_out > g.groups:
        steps.append(replace(g, c_out=g.c_out - g.groups))
    if g.c_in > g.groups:
        steps.append(replace(g, c_in=g.c_in - g.groups))
    if g.n > 2:
        steps.append(replace(g, n=2))
    return [s for s in steps if s.valid]


def _g(**settings):
    for name in ("stride", "dilation"):
        if isinstance(settings.get(name), int):
            settings[name] = (settings[name],) * 2
    if isinstance(settings.get("padding"), int):
        settings["padding"] = ((settings["padding"],) * 2,) * 2
    return Geometry(**settings)


SUITE = (
    ("1x1 kernel", _g(h=3, w=3, kh=1, kw=1)),
    ("2x2 kernel", _g()),
    ("non-square image and kernel", _g(h=4, w=5, kh=2, kw=3)),
    ("channels", _g(c_in=2, c_out=3, h=3, w=4)),
    ("batch of two", _g(n=2, h=3, w=3)),
    ("bias", _g(c_out=2, h=3, w=3, bias=True)),
    ("batch, channels and bias", _g(n=3, c_in=2, c_out=2, h=4, w=3, bias=True)),
    ("padding 1", _g(h=3, w=3, kh=3, kw=3, padding=1)),
    ("asymmetric padding", _g(h=3, w=4, padding=((1, 0), (0, 2)))),
    ("stride 2 that divides", _g(h=5, w=5, kh=3, kw=3, stride=2)),
    ("stride 2 that leaves a row unread", _g(h=6, w=5, kh=3, kw=3, stride=2)),
    ("stride larger than the kernel", _g(h=7, w=7, stride=3)),
    ("dilation 2", _g(h=5, w=5, dilation=2)),
    ("stride, padding and dilation", _g(h=7, w=6, kh=3, kw=2, stride=2, padding=1, dilation=2)),
    ("groups 2", _g(c_in=4, c_out=2, h=3, w=3, groups=2)),
    ("depthwise (groups = channels)", _g(n=2, c_in=3, c_out=3, h=4, w=4, groups=3, bias=True)),
    ("everything at once", _g(n=2, c_in=4, c_out=6, h=7, w=8, kh=3, kw=2, stride=(2, 3),
                              padding=((1, 2), (0, 1)), dilation=(2, 1), groups=2, bias=True)),
)
"""``(label, Geometry)`` rows the checker runs first, simplest first."""
