"""The columns of a ballot file: their names (the query's labels), their headers, what each
holds, and which a file leaves out.

A spreadsheet (CSV, XLSX) is read by people: codes become words (the channel, the source, the
survey, the detectors' rules), each row names its answer scale, and a column with nothing in it
for any ballot of the file is left out. JSON Lines is read by programs: every key on every line,
the codes as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.exports.xlsx import Kind
from app.surveys.definition import Question, Scale

Style = Literal["csv", "xlsx", "json"]

HEAD = (
    "office",
    "office_name",
    "counter",
    "time",
    "channel",
    "survey",
    "version",
    "scale",
    "receipt",
)
TAIL = (
    "source",
    "received",
    "device",
    "integration",
    "officer",
    "comment",
    "demo",
    "excluded",
    "exclusion_reason",
    "flags",
    "chain_hash",
)
TITLES = {
    "office": "Mã đơn vị",
    "office_name": "Tên đơn vị",
    "counter": "Quầy",
    "time": "Thời gian",
    "channel": "Kênh",
    "survey": "Mẫu phiếu",
    "version": "Phiên bản",
    "scale": "Thang đo",
    "receipt": "Mã phiếu",
    "source": "Nguồn",
    "received": "Nhận lúc (máy đánh giá gửi muộn)",
    "device": "Thiết bị",
    "integration": "Phần mềm một cửa",
    "officer": "Cán bộ tiếp nhận",
    "comment": "Góp ý",
    "demo": "Dữ liệu mẫu",
    "excluded": "Loại khỏi thống kê",
    "exclusion_reason": "Lý do loại",
    "flags": "Phiếu nghi vấn",
    "chain_hash": "Mã băm chuỗi",
}
# Columns a spreadsheet leaves out when no ballot of the file has anything in them.
OPTIONAL = frozenset(
    {
        "counter",
        "received",
        "device",
        "integration",
        "officer",
        "comment",
        "demo",
        "excluded",
        "flags",
    }
)
# What each column holds: ``text`` anyone may have typed, or words of ours that may hold a
# comma (quoted in CSV, escaped in XLSX); ``plain`` text of a known alphabet (codes, receipts,
# hashes: written as it is); ``int`` a number; ``time`` the moment of the ballot.
KINDS: dict[str, Kind] = {
    "office": "plain",  # office codes begin with a letter or a digit
    "office_name": "text",
    "counter": "int",
    "time": "time",
    "channel": "text",
    "survey": "text",
    "version": "int",
    "scale": "text",
    "receipt": "plain",
    "source": "text",
    "received": "time",
    "device": "int",
    "integration": "int",
    "officer": "text",
    "comment": "text",
    "demo": "plain",
    "excluded": "plain",
    "exclusion_reason": "text",
    "flags": "text",
    "chain_hash": "plain",
}
# Answers as numbers wide enough to read their question's header in a few lines; the rest by
# what they hold.
WIDTHS = {"office": 14, "office_name": 32, "counter": 7, "time": 19, "channel": 16}
WIDTHS |= {"survey": 28, "version": 9, "scale": 24, "receipt": 13, "source": 16}
WIDTHS |= {"comment": 30, "exclusion_reason": 24, "flags": 30, "chain_hash": 24}
WIDTHS |= {"received": 19, "officer": 14, "device": 9, "integration": 11, "demo": 9, "excluded": 10}
ANSWER_WIDTH = 18


def scale_legend(scale: Scale) -> str:
    """A scale in a few words: how many levels, and what the top one means, e.g. "5 mức
    (5 = Rất hài lòng)", so a "3" reads as the middle of five or the top of three."""
    best = scale.levels[0]
    return f"{len(scale.levels)} mức ({best.value} = {best.label_vi})"


@dataclass(frozen=True)
class Layout:
    """The columns of one ballot file, by name, in the file's order: the head, one per question
    (``q0``, ``q1``, …: numbers), the tail; less those ``omitted``."""

    style: Style
    questions: tuple[Question, ...]
    omitted: frozenset[str] = frozenset()

    @property
    def sheet(self) -> bool:
        """Read by people (CSV, XLSX): words, not codes."""
        return self.style != "json"

    @property
    def answers(self) -> tuple[str, ...]:
        return tuple(f"q{i}" for i in range(len(self.questions)))

    @property
    def names(self) -> tuple[str, ...]:
        every = (*HEAD, *self.answers, *TAIL)
        return tuple(name for name in every if name not in self.omitted)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(KINDS.get(name, "int") for name in self.names)

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(WIDTHS.get(name, ANSWER_WIDTH) for name in self.names)

    def header(self) -> list[str]:
        texts = {f"q{i}": q.text_vi for i, q in enumerate(self.questions)}
        return [TITLES.get(name) or texts[name] for name in self.names]

    def at(self, name: str) -> int:
        """Where the field ``name`` is in a row."""
        return self.names.index(name)
