"""The formula guard covers every character that normalises to a formula's first character."""

from __future__ import annotations

import sys
import unicodedata

from app.exports.cells import FORMULA_START, GUARDED, LOOK_ALIKES, neutralise


def test_the_look_alikes_are_every_character_normalising_to_a_formula_start() -> None:
    found = {
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if c not in FORMULA_START and unicodedata.normalize("NFKC", c) in FORMULA_START
    }
    assert found == set(LOOK_ALIKES)
    assert set(FORMULA_START) | found == GUARDED


def test_fullwidth_and_plain_formulas_are_neutralised() -> None:
    assert neutralise("＝1+1") == "'＝1+1"
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("Cán bộ nhiệt tình") == "Cán bộ nhiệt tình"
    assert neutralise(42) == 42
