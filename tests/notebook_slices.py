"""Which cells of a student copy must run to show what the stubs change.

A student copy differs from its lesson only in its solution cells; nbval runs
the lesson itself. :func:`cells_to_run` picks the cells whose behaviour can
differ (the changed cells and every later cell using a name they define) and,
transitively, the earlier cells that give them their inputs: for each name a
chosen cell uses, the latest cell before it that binds the name, and the cells
in between that change it in place (``x[...] = ``, ``x.attr = ``,
``x.method(...)``). A cell that cannot be parsed is always run.
"""

import ast
import builtins

from IPython.core.inputtransformer2 import TransformerManager

_TRANSFORM = TransformerManager()


class _Names(ast.NodeVisitor):
    """Names a cell binds at module level (or changes in place) and names it reads."""

    def __init__(self):
        self.binds, self.uses = set(), set()

    def visit_Name(self, node):
        (self.binds if isinstance(node.ctx, ast.Store) else self.uses).add(node.id)

    def _scope(self, node):
        """A function or class: its name is bound here; inside, the globals it reads count."""
        self.binds.add(node.name)
        inner = _Names()
        for child in node.body:
            inner.visit(child)
        arguments = getattr(node, "args", None)
        local = set(inner.binds)
        if arguments is not None:
            local |= {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
            local |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
            for default in arguments.defaults + [d for d in arguments.kw_defaults if d is not None]:
                self.visit(default)
        self.uses |= inner.uses - local
        for decorator in node.decorator_list:
            self.visit(decorator)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_Lambda(self, node):
        inner = _Names()
        inner.visit(node.body)
        self.uses |= inner.uses - {a.arg for a in node.args.args}

    def visit_alias(self, node):
        self.binds.add((node.asname or node.name).split(".")[0])

    def _changed_in_place(self, target):
        while isinstance(target, (ast.Subscript, ast.Attribute)):
            target = target.value
        if isinstance(target, ast.Name):
            self.binds.add(target.id)
            self.uses.add(target.id)

    def visit_Assign(self, node):
        for target in node.targets:
            self._changed_in_place(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._changed_in_place(node.target)
        self.generic_visit(node)

    def visit_Expr(self, node):  # x.method(...) as a statement may change x
        if isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute):
            self._changed_in_place(node.value.func.value)
        self.generic_visit(node)


def _names(source):
    try:
        tree = ast.parse(_TRANSFORM.transform_cell(source))
    except SyntaxError:
        return None
    names = _Names()
    names.visit(tree)
    names.uses -= set(dir(builtins))
    return names


def cells_to_run(lesson_cells, student_cells):
    """Indices of the student copy's code cells to execute, in order.

    ``lesson_cells`` and ``student_cells`` are the two notebooks' cell lists
    (the same length: a student copy only rewrites cells).
    """
    code = [i for i, c in enumerate(student_cells) if c.cell_type == "code"]
    names = {i: _names(student_cells[i].source) for i in code}
    run = {i for i in code if names[i] is None
           or student_cells[i].source != lesson_cells[i].source}
    changed_names = set()
    for i in code:  # forward: later cells reading what a changed cell binds
        if i in run and names[i] is not None:
            changed_names |= names[i].binds
        elif names[i] is not None and names[i].uses & changed_names:
            run.add(i)
            changed_names |= names[i].binds
    todo = sorted(run)
    while todo:  # backward: the cells that give a chosen cell its inputs
        i = todo.pop()
        for name in names[i].uses if names[i] is not None else ():
            for k in reversed([k for k in code if k < i]):
                if names[k] is not None and name in names[k].binds:
                    if k not in run:
                        run.add(k)
                        todo.append(k)
                    if name not in names[k].uses:  # a fresh binding: earlier cells do not matter
                        break
    return sorted(run)
