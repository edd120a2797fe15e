"""The floors of docs/ARCHITECTURE.md hold: every import inside convlab runs down (or stays in
its own package), none goes through the package front, and every one is relative."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "convlab"

FLOORS = {  # top-level part of convlab -> floor; a module may import only lower floors
    "_checks": 0,
    "shapes": 1,
    "blocks": 2,
    "matrices": 3,
    "conv": 4,
    "coverage": 5,
    "data": 5, "filters": 5, "gradcheck": 5, "spectral_cost": 5, "nn": 5, "autograd": 5,
    "training": 6, "learn_kernel": 6, "spectral": 6,
    "viz": 7,
    "widgets": 8, "bench": 8, "exercises": 8,
    "course": 9,
    "__main__": 10,
}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        yield path, parts[:-1] if parts[-1] == "__init__" else parts, path.name == "__init__.py"


def _imports(path, parts, is_package):
    """(line, absolute target parts, relative?) of every convlab import in a module, lazy ones too."""
    package = list(parts) if is_package else list(parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                if node.module:
                    yield node.lineno, tuple(base + node.module.split(".")), True
                else:
                    for alias in node.names:
                        yield node.lineno, tuple(base + [alias.name]), True
            elif node.module and node.module.split(".")[0] == "convlab":
                yield node.lineno, tuple(node.module.split(".")), False
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "convlab":
                    yield node.lineno, tuple(alias.name.split(".")), False


def _floor(parts):
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


def test_every_part_of_the_package_has_a_floor():
    tops = {parts[1] for _, parts, _ in _modules() if len(parts) > 1}
    assert tops <= set(FLOORS), f"give these a floor in FLOORS and docs/ARCHITECTURE.md: {tops - set(FLOORS)}"


@pytest.mark.parametrize("path, parts, is_package", list(_modules()),
                         ids=lambda v: str(v.relative_to(ROOT.parent)) if isinstance(v, pathlib.Path) else None)
def test_imports_run_down_relative_and_never_through_the_front(path, parts, is_package):
    if len(parts) == 1:  # convlab/__init__.py: the front itself
        return
    problems = []
    for line, target, relative in _imports(path, parts, is_package):
        where = f"{path.relative_to(ROOT.parent)}:{line}"
        if not relative:
            problems.append(f"{where}: absolute import of {'.'.join(target)} (use a relative import)")
        if len(target) == 1 or (len(target) == 2 and target[1] not in FLOORS):
            problems.append(f"{where}: imports the package front ({'.'.join(target)}); import the module that "
                            "defines the name")
            continue
        if target[1] != parts[1] and _floor(target) >= _floor(parts):
            problems.append(f"{where}: {parts[1]} (floor {_floor(parts)}) imports {target[1]} "
                            f"(floor {_floor(target)}): imports run down only")
    assert not problems, "\n".join(problems)
