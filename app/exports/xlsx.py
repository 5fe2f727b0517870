"""A streaming XLSX writer: the workbook's XML is written row by row straight into a ZIP stream
and handed out as it grows, so a million rows never sit in memory or on disk, at several times
openpyxl's write-only speed (bench/export.py).

What Excel gets: one sheet per million rows (Excel's limit is 1,048,576), each with a bold
header row frozen at the top, column widths, numbers as numbers, times as Excel dates in Vietnam
time, text as inline strings. The bytes depend only on the rows (fixed timestamps inside the
archive, fixed chunking), so a file's SHA-256 can be computed again later for its manifest.
Used by the ballot exports (a writer per column, by kind) and the small tables (``sheets.py``).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import partial
from typing import Any, Literal

from openpyxl.utils import get_column_letter

from app.exports.cells import neutralise

MAX_ROWS = 1_048_575  # per sheet, after the header
LINE_HEIGHT = 15  # points, a line of 11-point text
BATCH = 500  # rows per write: fixed, so the compressed bytes are the same on every run
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
EPOCH = datetime(1899, 12, 30)
UNIX_DAY = 25569  # the Unix epoch's day in Excel's count (days since EPOCH)
# Styles (cellXfs in styles.xml): 0 plain, 1 date and time, 2 bold, 3 date, 4 percent.
DATETIME, BOLD, DAY, PERCENT = 1, 2, 3, 4
FORMAT_STYLES = {"0.0%": PERCENT}
# Characters XML 1.0 cannot carry are dropped; markup characters are escaped.
_XML = dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32)))
_XML.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;"})
_NEEDS = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


class _Sink(io.RawIOBase):
    """Collects what the ZIP writer writes, to be handed out; not seekable, so zipfile writes
    data descriptors after each entry instead of going back to patch headers."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts = []
        return data


def _escaped(value: str) -> str:
    if _NEEDS.search(value):
        value = value.translate(_XML)
    return value


def _string(value: str) -> str:
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{_escaped(value)}</t></is></c>'


def _serial(moment: datetime) -> str:
    """Days since Excel's epoch, to the second (what the file shows)."""
    local = moment.replace(tzinfo=None, microsecond=0)
    delta = local - EPOCH
    return repr(delta.days + delta.seconds / 86400)


Cell = Callable[[Any], str]
Kind = Literal["text", "plain", "int", "time"]


def _any(value: Any, style: int | None = None) -> str:
    """A cell by its value's type (small tables)."""
    if value is None or value == "":
        return "<c/>"
    kind = type(value)
    if kind is str:
        return _string(neutralise(value))
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    if kind is int or kind is float:
        mark = f' s="{style}"' if style else ""
        return f"<c{mark}><v>{value!r}</v></c>"
    if kind is datetime:
        return f'<c s="{DATETIME}"><v>{_serial(value)}</v></c>'
    if kind is date:
        return f'<c s="{DAY}"><v>{(value - EPOCH.date()).days}</v></c>'
    return _string(neutralise(str(value)))


def _text(value: Any) -> str:
    """Text already neutralised (``text``): escaped for XML where it needs it."""
    return "<c/>" if value is None or value == "" else _string(value)


def _plain(value: Any) -> str:
    """Text of a known alphabet (receipts, hashes, codes the app makes): nothing to escape."""
    if value is None or value == "":
        return "<c/>"
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _int(value: Any) -> str:
    return "<c/>" if value is None else f"<c><v>{value}</v></c>"


def _seconds(value: Any) -> str:
    """Vietnam-time seconds since the Unix epoch, as an Excel date and time."""
    if value is None:
        return "<c/>"
    days, seconds = divmod(value, 86400)
    return f'<c s="{DATETIME}"><v>{days + UNIX_DAY + seconds / 86400!r}</v></c>'


KINDS: dict[str, Cell] = {"text": _text, "plain": _plain, "int": _int, "time": _seconds}


def _memo(cell: Cell) -> Cell:
    """The same cell for the same value, for columns with few distinct values (an office's
    name on every one of its rows)."""
    seen: dict[Any, str] = {}

    def cached(value: Any) -> str:
        found = seen.get(value)
        if found is None:
            if len(seen) > 10_000:
                seen.clear()
            found = seen[value] = cell(value)
        return found

    return cached


class Columns:
    """Per-column widths, and how each column's values become cells: by their ``kinds`` (one
    writer per column, chosen once: a million rows of known types), else by each value's type
    with ``formats`` by column (``0.0%``)."""

    def __init__(
        self,
        count: int,
        widths: dict[int, float],
        formats: dict[int, str] | None = None,
        kinds: Sequence[Kind] | None = None,
        repeated: Collection[int] = (),
    ) -> None:
        self.letters = [get_column_letter(i + 1) for i in range(count)]
        self.widths = [widths.get(i, 13.0) for i in range(count)]
        if kinds is not None:
            self.cells = [
                _memo(KINDS[k]) if i in repeated else KINDS[k] for i, k in enumerate(kinds)
            ]
        else:
            styles = {i: FORMAT_STYLES[f] for i, f in (formats or {}).items()}
            self.cells = [partial(_any, style=styles.get(i)) for i in range(count)]

    def header(self, titles: list[str]) -> str:
        """Row 1, bold, wrapped within its column and tall enough for the longest title, up to
        eight lines (the header is ours: never neutralised)."""
        cells = "".join(
            f'<c r="{self.letters[i]}1" t="inlineStr" s="{BOLD}"><is><t>{_escaped(t)}</t></is></c>'
            for i, t in enumerate(titles)
        )
        # Bold letters run about a tenth wider than the digits a column's width counts.
        lines = max(
            (
                math.ceil(len(t) * 1.1 / max(w - 1, 1))
                for t, w in zip(titles, self.widths, strict=True)
            ),
            default=1,
        )
        height = LINE_HEIGHT * min(max(lines, 1), 8)
        return f'<row r="1" ht="{height}" customHeight="1">{cells}</row>'

    def row(self, values: Sequence[Any]) -> str:
        # Neither rows nor cells say where they are: each follows the one before (an empty
        # cell is written as one, ``<c/>``), which spares every cell its reference.
        cells = [cell(v) for cell, v in zip(self.cells, values, strict=True)]
        return f"<row>{''.join(cells)}</row>"


def _sheet_head(columns: Columns) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(columns.widths, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2"'
        ' activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
    )


def _entry(archive: zipfile.ZipFile, name: str) -> Any:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    # Level 1: most of the size saving at a fraction of the default level's time.
    try:
        info.compress_level = 1  # type: ignore[attr-defined]  # Python 3.13 and later
    except AttributeError:
        info._compresslevel = 1  # type: ignore[attr-defined]
    return archive.open(info, "w")


def stream(
    title: str, header: list[str], rows: Iterable[Sequence[Any]], columns: Columns
) -> Iterator[bytes]:
    """The workbook's bytes, in chunks, as the rows are written."""
    head = columns.header(header)
    sink = _Sink()
    titles: list[str] = []
    with zipfile.ZipFile(sink, "w") as archive:
        iterator = iter(rows)
        done = False
        while not done:
            titles.append(title if not titles else f"{title} ({len(titles) + 1})")
            with _entry(archive, f"xl/worksheets/sheet{len(titles)}.xml") as sheet:
                sheet.write((_sheet_head(columns) + head).encode())
                number, pending = 1, []
                for values in iterator:
                    number += 1
                    pending.append(columns.row(values))
                    if len(pending) == BATCH:
                        sheet.write("".join(pending).encode())
                        pending = []
                        yield sink.drain()
                    if number > MAX_ROWS:
                        break
                else:
                    done = True
                sheet.write(("".join(pending) + "</sheetData></worksheet>").encode())
            yield sink.drain()
        for name, xml in _package(titles):
            with _entry(archive, name) as entry:
                entry.write(xml.encode())
    yield sink.drain()


def _package(titles: list[str]) -> list[tuple[str, str]]:
    decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheets = "".join(
        f'<sheet name="{_escaped(t)[:31]}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in enumerate(titles, 1)
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(titles) + 1)
    )
    sheet_types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(titles) + 1)
    )
    styles_rel = len(titles) + 1
    return [
        (
            "[Content_Types].xml",
            f'{decl}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{sheet_types}"
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
        ),
        (
            "_rels/.rels",
            f'{decl}<Relationships xmlns="{PKG}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>',
        ),
        (
            "docProps/core.xml",
            f'{decl}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/'
            '2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>hailong</dc:creator>"
            '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z</dcterms:modified>'
            "</cp:coreProperties>",
        ),
        (
            "docProps/app.xml",
            f'{decl}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>hailong</Application></Properties>',
        ),
        (
            "xl/workbook.xml",
            f'{decl}<workbook xmlns="{NS}" xmlns:r="{REL}"><bookViews><workbookView/>'
            f"</bookViews><sheets>{sheets}</sheets></workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            f'{decl}<Relationships xmlns="{PKG}">{sheet_rels}'
            f'<Relationship Id="rId{styles_rel}" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        ),
        ("xl/styles.xml", decl + STYLES),
    ]


STYLES = (
    f'<styleSheet xmlns="{NS}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="166" formatCode="0.0%"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
