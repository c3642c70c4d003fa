"""Frozen config dataclasses from parsed JSON or TOML: the one policy for unknown and ill-typed fields.

The policy: a field the dataclass does not know is an error that names it and lists the known ones, in a
model card, a series spec and a training run's settings alike. A typo is caught where it is made instead of
being dropped in silence (a misspelt ``max_widht`` would otherwise build the wrong network without a word).
Each value must then have its field's annotated type (an integer where ``int`` is declared, and so on: a JSON
``"four"`` for ``batch`` is named as such instead of failing deep inside), and ranges are checked by each
dataclass's own ``__post_init__``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any

from .errors import Upscale2xError


def build(cls, data: Any, where: object, error: type[Upscale2xError], derived: tuple[str, ...] = ()):
    """``cls(**data)``, raising ``error`` (naming ``where``) for a non-dict, an unknown field or a bad value.

    ``derived`` names keys the writer adds for readers (a card's ``shapes``) that are skipped, not errors.
    """
    if not isinstance(data, dict):
        raise error(f"{where}: expected a table of fields, got {type(data).__name__}")
    names = {f.name for f in fields(cls) if f.init}
    unknown = sorted(set(data) - names - set(derived))
    if unknown:
        raise error(f"{where}: unknown field {unknown[0]!r}; expected one of {', '.join(sorted(names))}")
    required = [f.name for f in fields(cls) if f.init and f.default is MISSING and f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise error(f"{where}: missing field {missing[0]!r} (required: {', '.join(required)})")
    hints = typing.get_type_hints(cls)
    for key, value in data.items():
        if key in names and not _matches(value, hints[key]):
            raise error(f"{where}: {key} must be {_describe(hints[key])}, got {value!r:.60}")
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except (TypeError, ValueError) as e:
        raise error(f"{where}: {e}") from None


_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string", dict: "a table"}


def _matches(value: Any, hint: Any) -> bool:
    """Whether a parsed JSON/TOML ``value`` fits annotation ``hint`` (types this project's configs use)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint in (str, Path):
        return isinstance(value, str | Path)
    if origin in (tuple, list) or hint in (tuple, list):
        return isinstance(value, list | tuple)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if is_dataclass(hint):
        return isinstance(value, hint)
    return True  # an annotation this checker does not know (Any, ...): left to the dataclass's __post_init__


def _describe(hint: Any) -> str:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if typing.get_origin(hint) in (tuple, list):
        return "a list"
    return _NAMES.get(typing.get_origin(hint) or hint, getattr(hint, "__name__", str(hint)))


def defaults(cls) -> dict[str, Any]:
    """Each field's default value (``default_factory`` ones called): the CLI's option defaults come from here."""
    from dataclasses import MISSING

    out = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out
