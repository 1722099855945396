"""
The layout of bookings/ (DESIGN.md, "How the code is laid out"), kept by a test: each part
imports only the parts below it, no module takes another's private name, and an import
inside a function says why it is there.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOKINGS = ROOT / "bookings"

CORE = {"models", "signals", "errors", "timeutils", "phones", "calendar", "photos"}
# Django's entry points into the app, which may reach any part: they wire it together.
WIRING = {"apps", "checks", "admin", "translation", "demo", "management", "migrations"}
# What each part may import, besides itself.
ALLOWED = {
    "core": {"core"},
    "schedule": {"core"},
    "messaging": {"core"},
    "payments": {"core"},
    "booking": {"core", "schedule", "messaging", "payments"},
    "reports": {"core", "schedule", "booking"},
    "desk": {"core", "schedule", "messaging", "booking", "reports", "payments"},
    "pages": {"core", "schedule", "messaging", "booking", "payments"},
}


def part_of(module: str) -> str:
    """The part a dotted module of bookings belongs to: core, schedule, ..., or wiring."""
    parts = module.split(".")
    if parts == ["bookings"]:
        return "core"
    head = parts[1]
    if head in ALLOWED:
        return head
    if head in CORE:
        return "core"
    if head in WIRING:
        return "wiring"
    raise AssertionError(f"{module} belongs to no part: add it to the layout (DESIGN.md) and to this test")


def modules():
    for path in sorted(BOOKINGS.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def imports(tree: ast.Module, name: str, path: Path):
    """Yield (node, imported module, names taken from it) for each import of a bookings module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bookings":
                    yield node, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}:{node.lineno}: a relative import; the project imports absolutely"
            base = node.module or ""
            if base.split(".")[0] != "bookings":
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if (ROOT / Path(*submodule.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*submodule.split("."))
                ).is_dir():
                    yield node, submodule, []
                else:
                    yield node, base, [alias.name]


def test_every_part_imports_only_the_parts_below_it():
    wrong = []
    for name, path, tree in modules():
        mine = part_of(name)
        if mine == "wiring":
            continue
        for node, target, _ in imports(tree, name, path):
            theirs = part_of(target)
            if theirs != mine and theirs not in ALLOWED[mine]:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} ({mine}) imports {target} ({theirs})")
    assert wrong == []


def test_no_module_takes_another_modules_private_name():
    wrong = []
    for name, path, tree in modules():
        aliases = {}
        for node, target, names in imports(tree, name, path):
            wrong += [f"{path.relative_to(ROOT)}:{node.lineno}: {target}.{n}" for n in names if n.startswith("_")]
            if not names and isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = target
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
            ):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {aliases[node.value.id]}.{node.attr}")
    assert wrong == []


def test_an_import_inside_a_function_says_why():
    """At the top unless it must wait (the app registry, a slow optional package): the reason beside it."""
    silent = []
    for name, path, tree in modules():
        if "migrations" in name:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        top = {id(node) for node in tree.body}
        said = set()  # lines of imports whose reason is given (a run of imports shares one comment)
        for node in sorted(ast.walk(tree), key=lambda node: getattr(node, "lineno", 0)):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                above = lines[node.lineno - 2].strip()
                if "#" in lines[node.lineno - 1] or above.startswith("#") or node.lineno - 1 in said:
                    said.add(node.end_lineno)
                else:
                    silent.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert silent == []


@pytest.mark.parametrize(
    ("module", "part"),
    [("bookings.models", "core"), ("bookings.schedule.availability", "schedule"), ("bookings.desk.admin", "desk")],
)
def test_the_parts_are_read_from_the_paths(module, part):
    assert part_of(module) == part
