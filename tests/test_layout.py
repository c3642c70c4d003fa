"""The package's layout is its architecture: imports run one way between the parts (README "Development")."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "upscale2x"
BASE = "base"  # errors, metrics, fieldcheck, colour: modules at the top that every part may reach
# Which parts each part may import (besides itself). The CLI is the only part that may reach every other.
ALLOWED = {
    BASE: set(),
    "io": {BASE},
    "model": {BASE, "io"},
    "render": {BASE, "io", "model"},
    "train": {BASE, "io", "model"},
    "series": {BASE, "io", "model", "render"},
    "live": {BASE, "io", "model", "render"},
    "studio": {BASE, "io", "model", "render", "series"},
    "cli": {BASE, "io", "model", "render", "train", "series", "live", "studio"},
}
TENSORFLOW_PARTS = {"model", "train"}  # nothing else imports TensorFlow or Keras itself
TENSORFLOW = ("tensorflow", "keras", "upscale2x.model._tf")
PUBLIC = {"upscale2x", "upscale2x.__main__"}  # the public API and `python -m` gather the parts; they are no part


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str, package: Path) -> str:
    """``upscale2x.render.tiling`` -> ``render``; a module at the top (``upscale2x.errors``) -> ``base``."""
    parts = module.split(".")
    if len(parts) == 2 and not (package / parts[1]).is_dir():
        return BASE
    return parts[1]


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, at any depth (lazy imports inside functions count), as absolute names."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            # `from . import tiling` imports a module; `from .errors import X` imports from one
            for a in node.names:
                sub = root.parent / f"{source}.{a.name}".replace(".", "/")
                is_module = sub.with_suffix(".py").exists() or sub.is_dir()
                found.append((node.lineno, f"{source}.{a.name}" if is_module else source))
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        if me in PUBLIC:
            continue
        mine = part_of(me, root)
        for line, target in imports(path, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            if target.startswith(TENSORFLOW) and mine not in TENSORFLOW_PARTS:
                bad.append(f"{where}: {mine} imports {target} (TensorFlow belongs to model/ and train/)")
            if not target.startswith("upscale2x.") or target in PUBLIC:
                if target == "upscale2x" and mine != "cli":  # the CLI reads __version__ there
                    bad.append(f"{where}: {mine} imports the public API (import the part's module instead)")
                continue
            theirs = part_of(target, root)
            if theirs != mine and theirs not in ALLOWED[mine]:
                bad.append(f"{where}: {mine} imports {target} ({mine} may import {sorted(ALLOWED[mine]) or 'nothing'})")
    return bad


def test_every_part_is_a_folder_of_the_map():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(ALLOWED) - {BASE}


def test_imports_run_one_way_between_the_parts():
    assert violations() == []


def test_an_import_against_the_arrows_is_caught(tmp_path):
    # A copy of the package with three planted faults: io importing model, render importing the CLI, and a lazy
    # TensorFlow import in series.
    import shutil

    copy = tmp_path / "upscale2x"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "webpage", "models"))
    with open(copy / "io" / "read.py", "a") as f:
        f.write("\nfrom ..model.tasks import TASKS\n")
    with open(copy / "render" / "tiling.py", "a") as f:
        f.write("\ndef _f():\n    from ..cli.common import err\n")
    with open(copy / "series" / "sheet.py", "a") as f:
        f.write("\ndef _g():\n    import tensorflow\n")
    found = violations(copy)
    assert len(found) == 3, found
    assert any("io/read.py" in v and "io imports upscale2x.model.tasks" in v for v in found)
    assert any("render/tiling.py" in v and "render imports upscale2x.cli.common" in v for v in found)
    assert any("series/sheet.py" in v and "TensorFlow belongs to model/ and train/" in v for v in found)


@pytest.mark.parametrize("name", ["Chain", "Stage", "load_bundle", "read_image", "write_image", "render_file"])
def test_the_public_api_stays(name):
    import upscale2x

    assert name in upscale2x.__all__ and getattr(upscale2x, name)
