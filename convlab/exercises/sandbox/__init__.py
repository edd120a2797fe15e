"""Where learner code runs: a forked child with time and memory limits (``child``,
``isolation``), and the safe data its answers come back as (``outcome``, the bottom)."""
