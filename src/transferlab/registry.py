"""One mechanism for everything chosen by name: methods, validators, active-learning
strategies, explanation methods, export formats.

A :class:`Registry` maps a name to an object and to what callers need to know about it
(e.g. a strategy declares ``needs="features"``), so that argparse ``choices``, ``Literal``
types, ``__all__`` and error messages all come from one list and can never disagree with
the code that runs. An unknown name is refused with the list of known ones.

It sits on the bottom floor so that any layer can fill or read a registry. A registry
whose entries are defined on a higher floor (the methods) names the package that fills
it (``filled_by``): the first lookup imports that package, as a plug-in, so a lower floor
can rebuild a method from its name without importing the methods statically.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """A registered object and what it declared about itself."""

    name: str
    target: Any
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.meta[key]
        except KeyError:
            raise AttributeError(f"{self.name} declares no {key!r}") from None


class Registry:
    """Names -> objects, in registration order.

    Args:
        kind: what the entries are, for messages ("validator", "strategy" ...).
        filled_by: a module whose import registers the entries (imported on first lookup).
    """

    def __init__(self, kind: str, filled_by: str | None = None) -> None:
        self.kind, self.filled_by = kind, filled_by
        self._entries: dict[str, Entry] = {}

    def register(self, name: str | None = None, **meta: Any) -> Callable[[Any], Any]:
        """Decorator: ``@STRATEGIES.register("margin", needs="probabilities")``."""

        def add(target: Any) -> Any:
            self.add(name or target.__name__, target, **meta)
            return target

        return add

    def add(self, name: str, target: Any, replace: bool = False, **meta: Any) -> None:
        """Register ``target`` as ``name``; a second, different target of the same name is
        refused unless ``replace`` (a user's class redefined in a notebook, say)."""
        known = self._entries.get(name)
        if known is not None and known.target is not target and not replace:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = Entry(name, target, meta)

    def _filled(self) -> dict[str, Entry]:
        if self.filled_by is not None:
            importlib.import_module(self.filled_by)
        return self._entries

    def names(self) -> tuple[str, ...]:
        return tuple(self._filled())

    def __contains__(self, name: object) -> bool:
        return name in self._filled()

    def __iter__(self) -> Iterator[Entry]:
        return iter(tuple(self._filled().values()))

    def entry(self, name: str) -> Entry:
        """The entry called ``name``; an unknown name is refused with the known ones."""
        entries = self._filled()
        if name not in entries:
            raise ValueError(f"unknown {self.kind} {name!r}; choose from {', '.join(entries)}")
        return entries[name]

    def get(self, name: str) -> Any:
        return self.entry(name).target

    __getitem__ = get

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"


# the registries whose entries live on higher floors but are read on lower ones
METHODS = Registry("method", filled_by="transferlab.methods")
