"""Import PyTorch before any learner code runs under a time limit.

PyTorch's first import takes seconds; if it happens inside a time-limited
call (the learner's function, or a reference it calls) the alarm can
interrupt it half way and leave torch unusable for the session.
"""


def import_torch():
    """Import and return :mod:`torch` (fast after the first time)."""
    import torch
    return torch
