"""The "fast" method: the im2row idea engineered for speed.

`forward_fast` and `backward_fast` follow the internal contract of every
method in `convlab.conv` (validated, normalised arguments). The forward pass
lives in `fast_forward`, the backward pass and the depthwise path in
`fast_backward`; ``python -m convlab.bench`` measures them against PyTorch.
"""

from .fast_backward import backward_fast
from .fast_forward import PATCH_BYTES, blas_threads, forward_fast

__all__ = ["forward_fast", "backward_fast", "blas_threads", "PATCH_BYTES"]
