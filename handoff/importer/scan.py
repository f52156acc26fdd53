"""A text file looked at as bytes before DuckDB reads it: what it is, and its lines and records.

DuckDB's CSV reader cannot be told what to do with some damage, so it never sees it:

- An empty file, a compressed one or one in UTF-16/UTF-32 is recognised from its first bytes (a
  UTF-16 or UTF-32 file, with a byte order mark or with the NUL bytes of its ASCII letters, is
  transcoded to UTF-8 in a temporary copy; the others are refused).
- The header line is read alone, so a file with more columns than the limit is refused from its
  first line, before the sniffer sees it.
- One pass over the file finds its records the way a CSV reader does (a newline inside double
  quotes belongs to the field): records longer than the line limit, records with NUL bytes, and
  quoted fields that run over lines which look like rows of their own (a stray quote that would
  swallow them: the lines with the opening and the closing quote) are taken out of the copy
  DuckDB reads and rejected here, one by one, with their line; the swallowed rows are read.
  Every record's line is the line a text editor shows it on; blank lines and the extra lines
  of multi-line fields are counted, so the numbers stay right after them.

The pass reads the file once in blocks: a block of plain one-line records is told by byte searches
alone (130 MB/s with the reading, on a loaded 2-core machine); any other block is looked at
with numpy (70-80 MB/s). Only the unusual records are kept, so memory does not grow with
the file.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BLOCK_BYTES = 64 * 1024 * 1024
HEAD_BYTES = 1024 * 1024  # a header line longer than this is refused
PREVIEW_CHARS = 200  # of a rejected record, kept in the rejects

_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
}
_BOMS = [  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
DELIMITERS = (",", ";", "\t", "|")
GLOB_CHARACTERS = re.compile(r"[*?\[\]{}]")


class FileRefused(Exception):
    """The file cannot be read as it is; the message says why (without the file's name)."""


@dataclass(frozen=True)
class Head:
    """What a text file's first bytes say."""

    encoding: str | None  # a UTF-16/32 codec to transcode from, or None for UTF-8
    bom_bytes: int
    delimiter: str  # the likeliest of , ; tab |
    n_columns: int  # fields on the header line, split on that delimiter


def read_head(path: Path, max_columns: int) -> Head:
    """Check a text file's first bytes and header line; refuse it when it cannot be read."""
    with open(path, "rb") as f:
        first = f.read(HEAD_BYTES)
    if not first:
        raise FileRefused("empty file (0 bytes): there is no header line")
    for magic, name in _COMPRESSED.items():
        if first.startswith(magic):
            raise FileRefused(f"a {name}-compressed file: decompress it and import the CSV inside")
    encoding, bom = None, 0
    for mark, codec in _BOMS:
        if first.startswith(mark):
            encoding, bom = codec, len(mark)
            break
    else:
        encoding = _nul_pattern(first)
    if encoding is not None:
        # Whole code units only, so a character cut by the block does not fail the decode.
        unit = 4 if "32" in encoding else 2
        sample = first[bom : bom + (len(first) - bom) // unit * unit]
        text = sample.decode(encoding, errors="replace")
    else:
        text = first.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise FileRefused("empty file: it holds only blank lines")
    newline = text.find("\n")
    header = text if newline < 0 else text[:newline]
    if newline < 0 and len(first) == HEAD_BYTES:
        counts = {d: header.count(d) for d in DELIMITERS}
        most = max(counts.values()) + 1
        if most > max_columns:
            raise FileRefused(
                f"the header line has more than {most - 1:,} columns in its first"
                f" {HEAD_BYTES:,} bytes; at most {max_columns:,} are read"
            )
        raise FileRefused(f"the header line is longer than {HEAD_BYTES:,} bytes")
    delimiter = max(DELIMITERS, key=header.count)
    n_columns = _split_count(header.rstrip("\r"), delimiter)
    if n_columns > max_columns:
        raise FileRefused(
            f"the header has {n_columns:,} columns; at most {max_columns:,} are read"
            " (HANDOFF_MAX_COLUMNS raises the limit)"
        )
    return Head(encoding=encoding, bom_bytes=bom, delimiter=delimiter, n_columns=n_columns)


def _nul_pattern(first: bytes) -> str | None:
    """UTF-16 or UTF-32 text without a byte order mark, told by where its NUL bytes fall
    (ASCII letters are one byte and one, or three, NULs)."""
    sample = first[: 4096 - 4096 % 4]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    column = [sample[i::4].count(0) for i in range(4)]
    quarter = len(sample) // 4
    if column[1] == column[2] == column[3] == quarter and column[0] < quarter:
        return "utf-32-le"
    if column[0] == column[1] == column[2] == quarter and column[3] < quarter:
        return "utf-32-be"
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.9 * len(sample) / 2 and even < 0.1 * len(sample) / 2:
        return "utf-16-le"
    if even > 0.9 * len(sample) / 2 and odd < 0.1 * len(sample) / 2:
        return "utf-16-be"
    return None


def _split_count(line: str, delimiter: str) -> int:
    """Fields on a line, with double-quoted fields taken whole."""
    n, quoted = 1, False
    for part in re.split(r'(["' + re.escape(delimiter) + "])", line):
        if part == '"':
            quoted = not quoted
        elif part == delimiter and not quoted:
            n += 1
    return n


def transcode(path: Path, head: Head, target: Path) -> None:
    """Write a UTF-16/32 file as UTF-8 (with no byte order mark), in blocks."""
    decoder = codecs.getincrementaldecoder(head.encoding)(errors="replace")
    with open(path, "rb") as src, open(target, "wb") as out:
        src.seek(head.bom_bytes)
        while block := src.read(BLOCK_BYTES):
            out.write(decoder.decode(block).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))


@dataclass(frozen=True)
class Record:
    """One record of a text file that needs a word: where it is and what is wrong."""

    line: int  # its first line, 1-based, as a text editor shows it
    n_lines: int
    start: int  # byte offsets in the file scanned, end exclusive (its newline not included)
    end: int
    reason: str | None = None  # why it is rejected; None for a kept multi-line record
    cause: str | None = None  # the kind of problem, without this record's line numbers


@dataclass
class Scan:
    """The records of a text file, as far as they need telling apart from one per line."""

    n_lines: int = 0  # physical lines, as a text editor counts them
    n_records: int = 0  # records, the header included, blank lines not
    n_blank: int = 0
    blank_lines: list[int] = field(default_factory=list)
    multi_line: list[Record] = field(default_factory=list)  # kept records over several lines
    rejected: list[Record] = field(default_factory=list)  # taken out, with a reason

    @property
    def is_plain(self) -> bool:
        """One record per line and nothing taken out: row n is on line n + 1."""
        return not (self.blank_lines or self.multi_line or self.rejected)

    @property
    def rejected_lines(self) -> int:
        return sum(r.n_lines for r in self.rejected)


def scan(path: Path, head: Head, max_line_bytes: int) -> Scan:
    """Find a file's records (newlines inside double quotes belong to the field)."""
    out = Scan()
    size = os.path.getsize(path)
    candidates: list[Record] = []  # multi-line records, checked for swallowed rows below
    over: list[Record] = []
    nul_at: list[int] = []
    blanks: list[tuple[int, int]] = []  # (line, start)
    n_newlines = 0  # before the block
    n_quotes = 0  # before the block
    record_start, record_line = 0, 1
    previous = 10  # the byte before the block (the file starts as after a newline)
    with open(path, "rb") as f:
        base = 0
        while True:
            block = f.read(BLOCK_BYTES)
            if not block:
                break
            if _is_plain_block(block, base, record_start, n_quotes, max_line_bytes):
                n = block.count(b"\n")
                out.n_records += n
                n_newlines += n
                record_start = base + block.rfind(b"\n") + 1
                record_line = n_newlines + 1
                base += len(block)
                previous = block[-1]
                continue
            buf = np.frombuffer(block, dtype=np.uint8)
            newlines = np.flatnonzero(buf == 10)
            quotes = _field_quotes(buf, np.flatnonzero(buf == 34), previous, head.delimiter)
            previous = block[-1]
            nuls = np.flatnonzero(buf == 0)
            if len(nuls):
                nul_at += (nuls + base).tolist()
            # A newline ends a record when an even number of quotes comes before it.
            quotes_before = np.searchsorted(quotes, newlines) + n_quotes
            ends = np.flatnonzero(quotes_before % 2 == 0)
            if len(ends):
                end_pos = newlines[ends] + base  # the record's newline
                end_line = ends + n_newlines + 1  # the line that newline ends
                starts = np.concatenate(([record_start], end_pos[:-1] + 1))
                lines = np.concatenate(([record_line], end_line[:-1] + 1))
                n_lines = end_line - lines + 1
                length = end_pos - starts
                _collect(out, starts, end_pos, lines, n_lines, length, block, base,
                         candidates, over, blanks, max_line_bytes)  # fmt: skip
                record_start, record_line = int(end_pos[-1]) + 1, int(end_line[-1]) + 1
            n_newlines += len(newlines)
            n_quotes += len(quotes)
            base += len(block)
    out.n_lines = n_newlines + (1 if size > record_start or size == 0 else 0)
    if size > record_start:  # a last record without a newline
        n = n_newlines + 1 - record_line + 1
        out.n_records += 1
        _last_record(Record(record_line, n, record_start, size), candidates, over, max_line_bytes)
    _judge(path, head, out, candidates, over, nul_at, blanks, max_line_bytes)
    return out


def _last_record(
    rec: Record, candidates: list[Record], over: list[Record], max_line_bytes: int
) -> None:
    """Set aside a last record without a newline, like any other, when it is too long or
    spans lines."""
    if rec.end - rec.start > max_line_bytes:
        over.append(rec)
    elif rec.n_lines > 1:
        candidates.append(rec)


def _field_quotes(buf: np.ndarray, quotes: np.ndarray, previous: int, delimiter: str) -> np.ndarray:
    """The quotes that can open or close a field: next to a delimiter, a line end or another
    quote. A quote inside a word (`Web "Ads Jr`) is a character of an unquoted field, as
    DuckDB reads it, and must not be taken for the start of a multi-line field."""
    if not len(quotes):
        return quotes
    bounds = np.array([ord(delimiter), 10, 13, 34], dtype=np.uint8)
    before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], previous)
    after_at = np.minimum(quotes + 1, len(buf) - 1)
    at_end = quotes + 1 >= len(buf)  # the block's last byte: the next is not known, keep it
    keep = np.isin(before, bounds) | np.isin(buf[after_at], bounds) | at_end
    return quotes[keep]


def _is_plain_block(
    block: bytes, base: int, record_start: int, n_quotes: int, max_line_bytes: int
) -> bool:
    """Is every record of this block one line, not blank, short enough, with no quote or NUL?
    (Told by byte searches alone, so the usual export is scanned at the speed of reading it.)"""
    first = block.find(b"\n")
    if n_quotes % 2 or first < 0 or base - record_start == 1:  # a lone byte may be a CR
        return False
    if b'"' in block or b"\x00" in block or b"\n\n" in block:
        return False
    if b"\r" in block and b"\n\r\n" in block:  # the slowest search, for CRLF files only
        return False
    if block[:1] in (b"\n", b"\r") or base - record_start + first > max_line_bytes:
        return False
    # A newline in every window of half the longest line: no line in between is too long.
    step = max(1, max_line_bytes // 2)
    last = block.rfind(b"\n")
    return all(b"\n" in block[i : i + step] for i in range(first, last, step))


def _collect(out, starts, ends, lines, n_lines, length, block, base, candidates, over, blanks,
             max_line_bytes) -> None:  # fmt: skip
    """Keep the unusual records of one block: long, multi-line or blank."""
    out.n_records += len(starts)
    blank = length == 0
    cr = np.flatnonzero(length == 1)
    for i in cr:  # a lone carriage return is a blank line too
        pos = int(starts[i]) - base
        if 0 <= pos < len(block) and block[pos] == 13:
            blank[i] = True
    for i in np.flatnonzero(blank):
        blanks.append((int(lines[i]), int(starts[i])))
    for i in np.flatnonzero((length > max_line_bytes) | (n_lines > 1)):
        rec = Record(line=int(lines[i]), n_lines=int(n_lines[i]), start=int(starts[i]),
                     end=int(ends[i]))  # fmt: skip
        (over if length[i] > max_line_bytes else candidates).append(rec)


def _judge(path, head, out, candidates, over, nul_at, blanks, max_line_bytes) -> None:
    """Decide which unusual records are rejected, and why."""
    rejected: dict[int, Record] = {}
    for rec in over:
        rejected[rec.start] = _with(rec, f"line longer than {max_line_bytes:,} bytes")
    with open(path, "rb") as f:
        for rec in candidates:
            swallowed = _swallowed_rows(f, rec, head)
            if swallowed:
                # The lines between are rows of their own: read as rows, only the lines with
                # the opening and the closing quote are rejected.
                first, last = _split_ends(f, rec)
                end_line = rec.line + rec.n_lines - 1
                between = [n for n in swallowed if n < end_line] or swallowed
                said = (
                    "looks like a row of its own, so it is"
                    if len(between) == 1
                    else "look like rows of their own, so they are"
                )
                rejected[first.start] = _with(
                    first,
                    f"a quote opened on this line is not closed until line {end_line}, and"
                    f" {_lines_said(between)} in between {said} read (a stray quote?)",
                    "a quote opened on this line is not closed on it (a stray quote?)",
                )
                closes = f"a quote closes on this line that line {rec.line} opened (a stray quote?)"
                rejected[last.start] = _with(
                    last, closes, "a quote closes on this line that an earlier line opened"
                )
                out.n_records += rec.n_lines - 1
            else:
                out.multi_line.append(rec)
    if nul_at:
        for pos in sorted(set(nul_at)):
            rec = _record_at(path, pos, out.multi_line, over)
            if rec.start not in rejected:
                rejected[rec.start] = _with(rec, "a NUL byte (binary data, not text) in the line")
    header_rejected = [r for r in rejected.values() if r.line == 1]
    if header_rejected:
        raise FileRefused(f"the header line cannot be read: {header_rejected[0].reason}")
    out.rejected = sorted(rejected.values(), key=lambda r: r.start)
    taken = {r.start for r in out.rejected}
    out.multi_line = [r for r in out.multi_line if r.start not in taken]
    out.blank_lines = [line for line, _ in blanks]
    out.n_blank = len(blanks)
    out.n_records -= len(blanks)


def _with(rec: Record, reason: str, cause: str | None = None) -> Record:
    return Record(rec.line, rec.n_lines, rec.start, rec.end, reason, cause or reason)


def _lines_said(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    if lines == list(range(lines[0], lines[-1] + 1)):
        return f"lines {lines[0]}-{lines[-1]}"
    return "lines " + ", ".join(str(n) for n in lines[:10]) + (" ..." if len(lines) > 10 else "")


def _split_ends(f, rec: Record) -> tuple[Record, Record]:
    """A multi-line record's first and last lines, as records of one line each."""
    f.seek(rec.start)
    text = f.read(rec.end - rec.start)
    first_end = rec.start + text.find(b"\n")
    last_start = rec.start + text.rfind(b"\n") + 1
    return (
        Record(line=rec.line, n_lines=1, start=rec.start, end=first_end),
        Record(line=rec.line + rec.n_lines - 1, n_lines=1, start=last_start, end=rec.end),
    )


def _swallowed_rows(f, rec: Record, head: Head) -> list[int]:
    """Lines after a multi-line record's first that hold as many fields as the header."""
    if head.n_columns < 2:
        return []
    f.seek(rec.start)
    text = f.read(min(rec.end - rec.start, 1024 * 1024)).decode("utf-8", errors="replace")
    found = []
    for i, line in enumerate(text.split("\n")[1:], start=1):
        if _split_count(line.rstrip("\r"), head.delimiter) == head.n_columns:
            found.append(rec.line + i)
    return found


def _record_at(path, pos, multi_line, over) -> Record:
    """The record holding byte `pos`: a known multi-line or long one, else its own line."""
    for rec in (*multi_line, *over):
        if rec.start <= pos <= rec.end:
            return rec
    with open(path, "rb") as f:
        lo = max(0, pos - 65536)
        f.seek(lo)
        before = f.read(pos - lo)
        start = lo + before.rfind(b"\n") + 1 if b"\n" in before else lo
        rest = f.read(65536)
        end = pos + (rest.find(b"\n") if b"\n" in rest else len(rest))
        line = _line_of(f, start)
    return Record(line=line, n_lines=1, start=start, end=end)


def _line_of(f, pos: int) -> int:
    """The 1-based line holding byte `pos` (counts the newlines before it)."""
    f.seek(0)
    n, read = 0, 0
    while read < pos:
        block = f.read(min(BLOCK_BYTES, pos - read))
        if not block:
            break
        n += block.count(b"\n")
        read += len(block)
    return n + 1


def lines_of(path: Path, positions: list[int]) -> list[int]:
    """The 1-based line of each byte offset in `positions` (in one pass over the file)."""
    if not positions:
        return []
    order = np.argsort(np.asarray(positions, dtype=np.int64), kind="stable")
    wanted = np.asarray(positions, dtype=np.int64)[order]
    out = np.empty(len(wanted), dtype=np.int64)
    n_newlines, base = 0, 0
    j = 0
    with open(path, "rb") as f:
        while j < len(wanted):
            block = f.read(BLOCK_BYTES)
            if not block:
                out[j:] = n_newlines + 1
                break
            newlines = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + base
            k = np.searchsorted(wanted, base + len(block))
            out[j:k] = np.searchsorted(newlines, wanted[j:k]) + n_newlines + 1
            j = k
            n_newlines += len(newlines)
            base += len(block)
    result = np.empty(len(positions), dtype=np.int64)
    result[order] = out
    return result.tolist()


def preview(path: Path, rec: Record) -> str:
    """The start of a record's text, for the rejects file."""
    with open(path, "rb") as f:
        f.seek(rec.start)
        raw = f.read(min(rec.end - rec.start, PREVIEW_CHARS * 4))
    text = raw.decode("utf-8", errors="replace").replace("\x00", "\\0")
    if rec.end - rec.start > len(raw) or len(text) > PREVIEW_CHARS:
        return text[:PREVIEW_CHARS] + f" … ({rec.end - rec.start:,} bytes)"
    return text


def write_without(path: Path, target: Path, taken: list[Record]) -> list[tuple[int, int]]:
    """Copy a file leaving out some records (each with its newline); returns, for each gap, the
    copy's offset and the bytes left out so far, to map the copy's offsets back."""
    gaps = []
    removed = 0
    with open(path, "rb") as src, open(target, "wb") as out:
        pos = 0
        for rec in sorted(taken, key=lambda r: r.start):
            _copy(src, out, pos, rec.start)
            end = rec.end + 1  # its newline
            removed += end - rec.start
            gaps.append((rec.start - (removed - (end - rec.start)), removed))
            pos = end
        _copy(src, out, pos, os.path.getsize(path))
    return gaps


def _copy(src, out, start: int, end: int) -> None:
    src.seek(start)
    left = end - start
    while left > 0:
        block = src.read(min(BLOCK_BYTES, left))
        if not block:
            break
        out.write(block)
        left -= len(block)


def original_offset(gaps: list[tuple[int, int]], offset: int) -> int:
    """A byte offset in a copy made by write_without, as an offset in the original."""
    shift = 0
    for at, removed in gaps:
        if offset >= at:
            shift = removed
        else:
            break
    return offset + shift
