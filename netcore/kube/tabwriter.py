"""Go's text/tabwriter, which lays out kubectl's tables and describe pages, rewritten in Python.

Text holds cells ending in tabs; the text after a line's last tab belongs to no column. A column is
aligned over a block of consecutive lines that all have a cell in it, so a line without tabs (like
``Containers:`` in a describe page) starts a new alignment below it, exactly as in kubectl's output.
``get`` tables use ``GET_TABLE`` (minimum width 6, padding 3), describe pages ``DESCRIBE`` (0, 2).
"""

from __future__ import annotations

GET_TABLE = {"minwidth": 6, "padding": 3}
DESCRIBE = {"minwidth": 0, "padding": 2}


def tabwrite(text: str, *, minwidth: int, padding: int) -> str:
    """Align the tab-separated cells of the text as Go's tabwriter does (left-aligned, space padding)."""
    trailing_newline = text.endswith("\n")
    lines = [line.split("\t") for line in (text[:-1] if trailing_newline else text).split("\n")]
    out: list[str] = []
    layout(lines, [], 0, len(lines), out, minwidth, padding)
    return "\n".join(out) + ("\n" if trailing_newline else "")


def layout(
    lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str], minwidth: int, padding: int
) -> None:
    """Lay out lines[line0:line1] given the widths of the columns to the left (Writer.format in Go)."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        emit(lines, widths, line0, this, out)
        line0 = this
        width = minwidth
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + padding)
            this += 1
        layout(lines, [*widths, width], line0, this, out, minwidth, padding)
        line0 = this
    emit(lines, widths, line0, line1, out)


def emit(lines: list[list[str]], widths: list[int], line0: int, line1: int, out: list[str]) -> None:
    """Write lines whose column widths are all known."""
    for cells in lines[line0:line1]:
        text = "".join(cell.ljust(widths[j]) if j < len(widths) else cell for j, cell in enumerate(cells))
        out.append(text)


class Page:
    """Lines written at indentation levels, as kubectl's describe PrefixWriter writes them."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        """Write text (which may end a line or not) after two spaces per level."""
        self.parts.append("  " * level + text)

    def render(self) -> str:
        """Return the page, aligned."""
        return tabwrite("".join(self.parts), **DESCRIBE)
