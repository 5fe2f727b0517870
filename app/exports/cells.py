"""Spreadsheet formula injection: a cell that starts like a formula is made plain text."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# And what a spreadsheet may take for one of them: every character whose compatibility form
# (NFKC) is one, such as the fullwidth "＝" of a Vietnamese keyboard in full-width mode
# (``tests/exports/test_cells.py`` recomputes the list).
LOOK_ALIKES = ("⁺", "⁼", "₊", "₌", "﬩", "﹢", "﹣", "﹦", "﹫", "＋", "－", "＝", "＠")
GUARDED = frozenset((*FORMULA_START, *LOOK_ALIKES))


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in GUARDED:
        return "'" + value
    return value
