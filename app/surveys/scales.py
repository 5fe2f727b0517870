"""The answer scales in use, so survey files can name one instead of repeating it."""

from __future__ import annotations

from typing import Any

BUILTIN_SCALES: dict[str, dict[str, Any]] = {
    # National SIPAS method (Bộ Nội vụ).
    "5-muc": {
        "key": "5-muc",
        "levels": [
            {
                "value": 5,
                "label_vi": "Rất hài lòng",
                "label_en": "Very satisfied",
                "category": "very_satisfied",
            },
            {"value": 4, "label_vi": "Hài lòng", "label_en": "Satisfied", "category": "satisfied"},
            {"value": 3, "label_vi": "Bình thường", "label_en": "Neutral", "category": "neutral"},
            {
                "value": 2,
                "label_vi": "Không hài lòng",
                "label_en": "Dissatisfied",
                "category": "dissatisfied",
            },
            {
                "value": 1,
                "label_vi": "Rất không hài lòng",
                "label_en": "Very dissatisfied",
                "category": "very_dissatisfied",
            },
        ],
    },
    # Counter tablets and Thông tư 01/2018/TT-VPCP forms.
    "3-muc": {
        "key": "3-muc",
        "levels": [
            {
                "value": 3,
                "label_vi": "Rất hài lòng",
                "label_en": "Very satisfied",
                "category": "very_satisfied",
            },
            {"value": 2, "label_vi": "Hài lòng", "label_en": "Satisfied", "category": "satisfied"},
            {
                "value": 1,
                "label_vi": "Không hài lòng",
                "label_en": "Dissatisfied",
                "category": "dissatisfied",
            },
        ],
    },
}
