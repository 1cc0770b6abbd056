"""The text-only table that every reader produces, and the collector that builds it row by row."""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Callable, Iterator

from core.tabular.errors import TableError

MAX_ROWS = 300_000
MAX_COLUMNS = 1_000
NARROW_AFTER = 60     # rows read whole before a Collector's `narrow` decides which columns later rows keep


@dataclass
class Table:
    """A sheet read as text.

    ``rows[i]`` came from file row ``line_numbers[i]`` (1-based, as Excel shows
    it; for CSV it is the record number, so a quoted multi-line cell counts as
    one row).  All rows have ``len(headers)`` cells.
    """

    headers: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    encoding: str | None = None      # CSV only: codec used to decode
    sheet_name: str | None = None    # xlsx only
    header_line: int = 1             # row number of the header row
    file_format: str = "csv"         # "csv" or "xlsx"
    delimiter: str | None = None     # CSV only
    # cells longer than the CSV field limit: {row number: [column positions]} (the cell is read as "")
    oversized: dict[int, list[int]] = field(default_factory=dict)
    # A streamed read (csv_read.stream_csv): `rows` holds the first rows only and `more` yields the others as
    # (row number, cells) while the file is read — once; cells not padded to the width; a file problem found
    # on the way (an unclosed quote, too many rows) raises TableError from it. None: `rows` holds every row.
    more: Iterator[tuple[int, list[str]]] | None = field(default=None, repr=False, compare=False)
    # A streamed read: an upper bound of the data rows (the file's line breaks), known before they are read.
    expected_rows: int | None = None

    def skip_title_rows(self, n: int) -> None:
        """Drop ``n`` title rows above the header: the ``n``-th data row becomes the header."""
        if n <= 0:
            return
        self.headers, self.header_line = self.rows[n - 1], self.line_numbers[n - 1]
        del self.rows[:n]
        del self.line_numbers[:n]



class Collector:
    """Turns raw rows (already text, already stripped) into a :class:`Table`.

    Rules: a row is blank when all its cells are ''; the first non-blank row is
    the header; trailing '' cells are cut per row and the common width is
    re-padded at the end; > ``max_rows`` data rows or > MAX_COLUMNS columns
    raise.
    """

    PROGRESS_EVERY = 1000

    def __init__(self, max_rows: int, on_rows: Callable[[int], None] | None = None, narrow=None,
                 hold: int | None = None) -> None:
        """`on_rows(n)`: told the number of data rows read so far, every PROGRESS_EVERY rows.
        `narrow(headers, first_rows)`: called once the first NARROW_AFTER data rows are in, returns the
        column positions the caller will read (None: all); the later rows keep only those cells (the
        others read as ''), so a wide file's unused columns take no memory. The first rows stay whole.
        `hold`: keep only the first `hold` data rows (at least NARROW_AFTER); `add` hands back each later
        one instead (a streamed read). None: keep every row."""
        self.hold = None if hold is None else max(hold, NARROW_AFTER)
        self.count = 0             # data rows read
        self.narrow = narrow
        self.dropped: tuple[int, ...] = ()
        self.max_rows = max_rows
        self.on_rows = on_rows     # told the number of data rows read so far, every PROGRESS_EVERY rows
        self.headers: list[str] | None = None
        self.header_line = 0
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.width = 0

    def add(self, cells: list[str], line: int) -> list[str] | None:
        """Take one file row (``line`` = its row number); blank rows are dropped. Returns the row's
        cells when they are not kept (a data row past `hold`), else None."""
        n = len(cells)
        while n and not cells[n - 1]:
            n -= 1
        if not n:
            return None
        if n > MAX_COLUMNS:
            raise TableError("too_many_columns", line=line, limit=MAX_COLUMNS)
        del cells[n:]
        if n > self.width:
            self.width = n
        if self.headers is None:
            self.headers, self.header_line = cells, line
            return None
        if self.count >= self.max_rows:
            raise TableError("too_many_rows", limit=self.max_rows)
        self.count += 1
        if self.dropped:
            for pos in self.dropped:
                if pos < n:
                    cells[pos] = ""
        if self.on_rows is not None and not self.count % self.PROGRESS_EVERY:
            self.on_rows(self.count)
        if self.hold is not None and len(self.rows) >= self.hold:
            return cells
        self.rows.append(cells)
        self.lines.append(line)
        if self.narrow is not None and len(self.rows) == NARROW_AFTER:
            keep = self.narrow(self.headers, self.rows)
            self.narrow = None
            if keep is not None:
                self.dropped = tuple(pos for pos in range(self.width) if pos not in keep)
        return None

    def table(self, **meta: Any) -> Table:
        """Pad every row to the common width and build the Table (empty → error)."""
        if self.headers is None:
            raise TableError("empty_file")
        width = self.width
        for row in chain((self.headers,), self.rows):
            if len(row) < width:
                row.extend([""] * (width - len(row)))
        return Table(self.headers, self.rows, self.lines, header_line=self.header_line, **meta)
