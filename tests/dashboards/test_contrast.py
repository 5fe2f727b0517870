"""Chart colours against their backgrounds, computed from the stylesheet: axe-core checks text
but does not see SVG strokes and fills. Marks and strokes need 3:1 (WCAG 1.4.11), text 4.5:1."""

from __future__ import annotations

import re

import pytest

from app.web.rendering import STATIC_DIR

CARD, LOBBY = "#ffffff", "#0d1b2a"
CHECKS = [
    # selector, property, background, at least
    (".trend-chart .line", "stroke", CARD, 3.0),
    (".trend-chart .dot", "fill", CARD, 3.0),
    (".trend-chart .count", "fill", CARD, 3.0),
    (".trend-chart .grid", "stroke", CARD, 3.0),
    (".trend-chart .axis", "fill", CARD, 4.5),
    (".cmp-chart .bar", "fill", CARD, 3.0),
    (".cmp-chart .ci", "stroke", CARD, 3.0),
    (".cmp-chart .grid", "stroke", CARD, 3.0),
    (".cmp-chart .name", "fill", CARD, 4.5),
    (".cmp-chart .value", "fill", CARD, 4.5),
    (".lv-very_satisfied", "fill", CARD, 3.0),
    (".lv-satisfied", "fill", CARD, 3.0),
    (".lv-neutral", "fill", CARD, 3.0),
    (".lv-dissatisfied", "fill", CARD, 3.0),
    (".lv-very_dissatisfied", "fill", CARD, 3.0),
    # The form's faces beside each level's words.
    *(
        (f".choice.{level} .face", "color", CARD, 3.0)
        for level in ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")
    ),
    (".lobby .trend-chart .line", "stroke", LOBBY, 3.0),
    (".lobby .trend-chart .dot", "fill", LOBBY, 3.0),
    (".lobby .trend-chart .count", "fill", LOBBY, 3.0),
    (".lobby .trend-chart .grid", "stroke", LOBBY, 3.0),
    (".lobby .trend-chart .axis", "fill", LOBBY, 4.5),
    (".lobby-big", "color", LOBBY, 4.5),
    (".lobby-head p", "color", LOBBY, 4.5),
    (".lobby-call", "color", LOBBY, 4.5),
    (".lobby-small", "color", LOBBY, 4.5),
]


def _rules() -> dict[str, dict[str, str]]:
    css = re.sub(r"/\*.*?\*/", "", (STATIC_DIR / "css" / "hailong.css").read_text(), flags=re.S)
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {
            name.strip(): value.strip()
            for name, value in (d.split(":", 1) for d in body.split(";") if ":" in d)
        }
        for selector in selectors.split(","):
            found.setdefault(" ".join(selector.split()), {}).update(declarations)
    return found


def _luminance(colour: str) -> float:
    value = colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula() -> None:
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("selector", "prop", "background", "least"), CHECKS)
def test_chart_colours_stand_out(selector: str, prop: str, background: str, least: float) -> None:
    declarations = _rules().get(selector)
    assert declarations is not None, f"{selector} is not in the stylesheet"
    colour = re.search(r"#[0-9a-fA-F]{3,6}\b", declarations.get(prop, ""))
    assert colour, f"{selector} has no {prop} colour"
    assert contrast(colour.group(0), background) >= least, (selector, colour.group(0))
