"""Re-execute lessons and write them without volatile metadata.

A notebook executed by ``jupyter nbconvert --execute`` records, besides its
outputs, things that change on every run: per-cell execution timestamps,
the Python version of the kernel, and the state and random model ids of
every widget. :func:`clean_notebook` removes them, so that after
:func:`reexecute` a ``git diff`` of a lesson shows only what its outputs
and sources say. The solution and test cells are (re)tagged for nbgrader on
the way (:func:`convlab.course.cells.tag_notebook`).
"""

import hashlib
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat

from .cells import read_notebook, tag_notebook

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
"""Output data naming a widget model by a random id; meaningless without the saved state."""

ANIMATION_ID = re.compile(r"_anim_img([0-9a-f]{32})")
"""matplotlib's HTML animations (``to_jshtml``) name their elements with a random ``uuid4().hex``."""


def _random_ids(text):
    """The random animation ids in an output's text, in order of appearance."""
    return list(dict.fromkeys(ANIMATION_ID.findall(text)))


def _stable_id(index, k):
    """The id that replaces the k-th random id of cell ``index``: the same on every run."""
    return hashlib.sha256(f"convlab-animation:{index}:{k}".encode()).hexdigest()[:32]


def _stabilise_ids(cell, index):
    """Replace the random animation ids in ``cell``'s outputs (every occurrence of each) by stable ones."""
    found = []
    for output in cell.get("outputs", ()):
        for value in output.get("data", {}).values():
            if isinstance(value, str):
                found += [i for i in _random_ids(value) if i not in found]
    renames = {old: _stable_id(index, k) for k, old in enumerate(found) if old != _stable_id(index, k)}
    if not renames:
        return
    pattern = re.compile("|".join(renames))
    for output in cell.outputs:
        data = output.get("data", {})
        for mime, value in data.items():
            if isinstance(value, str):
                data[mime] = pattern.sub(lambda m: renames[m.group(0)], value)


def volatile_metadata(nb):
    """Describe each volatile piece of metadata in ``nb`` (an empty list when clean).

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "python", "version": "3.11"}})
    >>> volatile_metadata(nb)
    ['notebook metadata language_info.version']
    >>> volatile_metadata(clean_notebook(nb))
    []
    """
    found = []
    if "version" in nb.metadata.get("language_info", {}):
        found.append("notebook metadata language_info.version")
    if "widgets" in nb.metadata:
        found.append("notebook metadata widgets (saved widget state)")
    for index, cell in enumerate(nb.cells):
        if "execution" in cell.metadata:
            found.append(f"cell {index} metadata execution (timestamps)")
        if any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", ())):
            found.append(f"cell {index} output {WIDGET_VIEW} (random model id)")
        texts = [v for o in cell.get("outputs", ()) for v in o.get("data", {}).values() if isinstance(v, str)]
        ids = [i for text in texts for i in _random_ids(text)]
        if any(i != _stable_id(index, k) for k, i in enumerate(dict.fromkeys(ids))):
            found.append(f"cell {index} output animation ids (random)")
    return found


def clean_notebook(nb):
    """A copy of ``nb`` without timestamps, kernel version and widget state or model ids,
    and with stable ids in place of matplotlib animations' random ones."""
    nb = nbformat.from_dict(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", ()):
            output.get("data", {}).pop(WIDGET_VIEW, None)
        _stabilise_ids(cell, index)
    return nb


def reexecute(paths, timeout=600, kernel_name="python3"):
    """Execute each lesson top to bottom in a fresh kernel and write it back, clean.

    Parameters
    ----------
    paths : iterable of str or Path
        Notebooks; each runs in its own folder, as nbval and JupyterLab run it.
    timeout : int
        Seconds any one cell may take.
    kernel_name : str

    Returns
    -------
    list of Path
        The notebooks written.

    Raises
    ------
    ValueError
        If a path is not an existing ``.ipynb`` file (checked before anything runs).
    nbclient.exceptions.CellExecutionError
        If a cell fails; that notebook is not written.
    """
    from nbclient import NotebookClient

    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1:
        raise ValueError(f"timeout must be a positive int of seconds; got {timeout!r}")
    paths = [Path(p) for p in paths]
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"paths must be existing .ipynb files; got {str(path)!r}")
        read_notebook(path)  # a corrupt or non-v4 notebook is named before anything runs
    written = []
    for path in paths:
        nb = tag_notebook(read_notebook(path))
        kernelspec = nb.metadata.get("kernelspec")
        NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, record_timing=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        if kernelspec is not None:
            nb.metadata["kernelspec"] = kernelspec
        nbformat.write(clean_notebook(nb), path)
        written.append(path)
    return written


def tag_lessons(paths):
    """Tag solution and test cells for nbgrader and drop volatile metadata, without executing.

    Returns the notebooks that changed (the others are not rewritten), so a
    second run returns ``[]``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "x.ipynb"
    ...     nbformat.write(nbformat.v4.new_notebook(metadata={"widgets": {}}), path)
    ...     len(tag_lessons([path])), tag_lessons([path])
    (1, [])
    """
    changed = []
    for path in map(Path, paths):
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(f"paths must be existing .ipynb files; got {str(path)!r}")
        read_notebook(path)
    for path in map(Path, paths):
        before = read_notebook(path)
        after = clean_notebook(tag_notebook(before))
        if nbformat.writes(after) != nbformat.writes(before):
            nbformat.write(after, path)
            changed.append(path)
    return changed


def notebook_paths(paths):
    """Notebook paths from files and folders (a folder gives its numbered lessons)."""
    found = []
    for path in map(Path, paths):
        found += sorted(path.glob("[0-9][0-9]*_*.ipynb")) if path.is_dir() else [path]
    return found


def add_arguments(parser):
    """``python -m convlab reexecute PATH... [--timeout S]``."""
    parser.add_argument("paths", nargs="+", help="lesson notebooks, or folders of lessons")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")


def run(args):
    """Re-execute the notebooks; return the exit status."""
    from nbclient.exceptions import CellExecutionError

    try:
        for path in reexecute(notebook_paths(args.paths), timeout=args.timeout):
            print(f"executed and wrote {path}")
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CellExecutionError as exc:
        print(f"error: a cell failed, the notebook was not written: {exc.ename}: {exc.evalue}", file=sys.stderr)
        return 1
    return 0


def _add_tag_arguments(parser):
    parser.add_argument("paths", nargs="+", help="lesson notebooks, or folders of lessons")


def _run_tag(args):
    paths = notebook_paths(args.paths)
    try:
        changed = tag_lessons(paths)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"tagged {len(paths)} notebooks; {len(changed)} changed" + "".join(f"\n  {p}" for p in changed))
    return 0


TAG_LESSONS = SimpleNamespace(add_arguments=_add_tag_arguments, run=_run_tag)
"""``python -m convlab tag-lessons PATH...``: tag and clean without executing."""
