"""The one argument validator every public function of convlab uses (a small package).

Every check runs before any computation and raises ``TypeError`` (the wrong
kind of value) or ``ValueError`` (the right kind, a wrong value or shape) with
a message that names the argument, says what was expected and shows what was
given. Checks return the normalised value (an ndarray, an int, a tuple...), so
a caller writes ``stride = int_tuple(stride, "stride", 2)`` and moves on.

Conventions shared by all checks:

* a 0-d numpy array counts as the scalar it holds (``np.array(2)`` is the int
  2), and a 1-D integer array counts as a sequence (``np.array([2, 2])``);
* ``bool`` is never an int or a number here (``True`` is refused as a stride);
* arrays must hold real numbers: timedelta, datetime, str, bytes, object and
  structured dtypes are refused by name, complex unless the caller allows it;
* nothing here copies or modifies an input.

Which check for which argument:

* arrays: `check_array` (dtype policy, allowed ``ndim`` or ``min_ndim``, a
  layout for the message, optional float conversion), `check_conv_arrays`,
  `check_grad_out`, `check_bias`, `check_channels`, `check_kernel_fits`;
* ints: `check_int` (optional ``minimum``/``maximum``: indices, sizes, counts),
  `int_tuple` (an int or a pair), `int_list` (one int per layer), `check_shape`;
* sequences: `check_sequence` (a list, tuple or 1-D array of anything);
* everything else: `check_padding`, `check_number` / `positive_float`,
  `check_bool`, `check_choice` (dropdowns, modes), `check_dtype`, `check_rng`,
  `check_callable`, `check_tensor`;
* sizes: `check_memory(what, shape, dtype)` before allocating any array whose
  size the caller controls (figures and widgets too);
* figures and explorers: `check_plot_args` (``ax``, ``fig``, ``figsize``,
  ``annotate``, ``legend``, ``title``), `check_cell`, `check_drawn_cells`,
  `check_settings` (a table of controls);
* methods: `check_member` (one of a few allowed values), `check_winograd_geometry`.

The memory limit (`set_memory_limit`, the ``CONVLAB_MEMORY_LIMIT``
environment variable, default 2 GiB) bounds the arrays convlab allocates:
`check_memory` refuses before allocating.

Examples
--------
>>> int_tuple(np.array(2), "stride", 2)
(2, 2)
>>> check_padding(np.array([1, 2]), spatial=2)
((1, 1), (2, 2))
>>> check_int(0, "groups", 1)
Traceback (most recent call last):
...
ValueError: groups must be a positive int; got 0
"""



from .arrays import (
    as_array,
    check_array,
    check_bias,
    check_channels,
    check_conv_arrays,
    check_dtype,
    check_grad_out,
    check_groups,
    check_image_and_kernel,
    check_kernel_fits,
    check_ndim,
    check_tensor,
    compute_dtype,
)
from .figures import (
    check_axes,
    check_cell,
    check_control,
    check_drawn_cells,
    check_figsize,
    check_figure,
    check_optional_bool,
    check_plot_args,
    check_settings,
    check_text,
    check_zero_inserted,
)
from .memory import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV,
    check_conv_memory,
    check_memory,
    get_memory_limit,
    set_memory_limit,
)
from .scalars import (
    PADDING_MODES,
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_member,
    check_number,
    check_padding,
    check_rng,
    check_sequence,
    check_shape,
    check_winograd_geometry,
    int_list,
    int_tuple,
    positive_float,
)

__all__ = [
    "PADDING_MODES", "DEFAULT_MEMORY_LIMIT", "MEMORY_LIMIT_ENV",
    "as_array", "check_array", "check_ndim", "compute_dtype", "check_dtype", "check_bias",
    "check_channels", "check_conv_arrays", "check_groups", "check_image_and_kernel", "check_grad_out", "check_kernel_fits", "check_int", "int_list", "int_tuple", "check_number", "positive_float", "check_bool",
    "check_choice", "check_callable", "check_rng", "check_shape", "check_padding",
    "check_tensor", "check_conv_memory", "check_memory", "get_memory_limit", "set_memory_limit",
    "check_member", "check_sequence", "check_winograd_geometry",
    # figures and explorers
    "check_axes", "check_figure", "check_figsize", "check_text", "check_optional_bool",
    "check_plot_args", "check_cell", "check_drawn_cells", "check_zero_inserted",
    "check_control", "check_settings",
]
