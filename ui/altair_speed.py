"""Altair settings for speed: no schema validation while a chart is being built, and a faster
deep copy for the chained chart API (altair 6.3.0, the pinned version).

Altair's debug mode (on by default) validates every schema object against the Vega-Lite schema
as it is created, even when the finished chart is serialized with ``validate=False``: 20-25% of
building a page's charts. The app turns it off; the test suite turns it back on
(tests/conftest.py), so every chart the tests draw is still validated as it is built.

Every Altair method (``encode``, ``mark_line``, ``+``, ``configure``...) deep-copies the chart, and
the stock copy rebuilds each schema object through its ``__init__``, which passes every one of
the object's 30-70 properties, set or not. Building a page's charts spent about half its time
there (cProfile). A schema object keeps all of its state in ``_args`` and ``_kwds``, so copying
those two, and sharing the immutable ``Undefined`` markers, gives the same object for a fraction
of the cost. ``tests/test_exports.py`` checks that charts copied both ways serialize identically.

A string shorthand in an encoding (``x="step:Q"``, ``tooltip=["method:N"]``) goes through
``SchemaBase.from_dict``, which builds a table of the whole Vega-Lite schema (a JSON hash of each
of its ~800 classes, about 5 ms) on every call; the table is the same every time, so it is built
once per wrapper-class family and kept.

Any other Altair version keeps the stock copy and the stock ``from_dict``.
"""

from __future__ import annotations

from typing import Any

import altair as alt
from altair.utils import schemapi

PATCHED_VERSION = "6.3.0"
_stock_deep_copy = schemapi._deep_copy
_stock_from_dict = schemapi.SchemaBase.__dict__["from_dict"]
_converters: dict = {}


_CONTAINERS = (schemapi.SchemaBase, list, dict)


def fast_deep_copy(obj: Any, by_ref: set[str]) -> Any:
    """Altair's ``_deep_copy`` without re-running ``__init__``: schema objects, lists and dicts
    are copied, everything else (strings, numbers, ``Undefined``, DataFrames) is shared."""
    if isinstance(obj, schemapi.SchemaBase):
        if getattr(obj, "__deepcopy__", None) is not None:
            return _stock_deep_copy(obj, by_ref)
        new = object.__new__(obj.__class__)
        object.__setattr__(new, "_args", tuple(fast_deep_copy(a, by_ref) for a in obj._args))
        kwds = obj._kwds.copy()
        for k, v in kwds.items():
            if isinstance(v, _CONTAINERS) and k not in by_ref:
                kwds[k] = fast_deep_copy(v, by_ref)
        object.__setattr__(new, "_kwds", kwds)
        return new
    if isinstance(obj, list):
        return [fast_deep_copy(v, by_ref) if isinstance(v, _CONTAINERS) else v for v in obj]
    if isinstance(obj, dict):
        return {k: fast_deep_copy(v, by_ref) if isinstance(v, _CONTAINERS) and k not in by_ref
                else v for k, v in obj.items()}
    return obj


def _from_dict(cls, dct: dict, validate: bool = True):
    """SchemaBase.from_dict with the schema's class table built once (see the module's doc)."""
    if validate:
        cls.validate(dct)
    key = cls._default_wrapper_classes.__func__
    converter = _converters.get(key)
    if converter is None:
        converter = _converters[key] = schemapi._FromDict(cls._default_wrapper_classes())
    return converter.from_dict(dct, cls)


def install() -> bool:
    """Use the fast copy and the kept schema table when Altair is the version they were checked
    against; True if installed."""
    if alt.__version__ != PATCHED_VERSION:
        return False
    schemapi._deep_copy = fast_deep_copy
    schemapi.SchemaBase.from_dict = classmethod(_from_dict)
    return True


def uninstall() -> None:
    schemapi._deep_copy = _stock_deep_copy
    schemapi.SchemaBase.from_dict = _stock_from_dict


schemapi.disable_debug_mode()
install()
