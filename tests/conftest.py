"""Shared test set-up: a report of the
worst error against torch seen by the property tests."""




def pytest_terminal_summary(terminalreporter):
    try:
        from torch_reference import MAX_ERRORS
    except ImportError:
        return
    if not MAX_ERRORS:
        return
    terminalreporter.section("max error against torch (relative to scale)")
    for (kind, method), error in sorted(MAX_ERRORS.items()):
        terminalreporter.write_line(f"{kind:<18} {method:<8} {error:.2e}")

# Notebooks under tests/ are fixtures that tests execute themselves, not lessons for nbval.
collect_ignore_glob = ["*.ipynb", "*/*.ipynb"]
