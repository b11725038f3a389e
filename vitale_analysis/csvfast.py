"""The fast, strict way to read a CSV export: Arrow's parser, text as dictionaries.

:func:`read_csv_strict` reads a case-log CSV with pyarrow's CSV reader, every
column as a dictionary of raw bytes: each distinct value (an event label, an
office, a case id) is decoded once, in the file's encoding, instead of once per
row, and the mapping of labels then works on those few values. The bytes are
never decoded in Python as a whole (a French export of 1 GB in cp1252 would be
a 2 GB Python string): the delimiter and quote are ASCII in every encoding it
takes, so the split is the same whatever the encoding.

It handles what well-made exports hold: UTF-8 (with or without BOM), cp1252 and
other ASCII-based encodings, the delimiter sniffed on a sample, blank lines,
quoted fields with line breaks, short rows (padded, as pandas does) and, in a
file without quotes, rows with too many fields (set aside with their line).
For anything else it returns ``None`` and :mod:`vitale_analysis.read` takes
its tolerant path, whose messages name the line and the fix: an encoding it
cannot decode, a file mixing UTF-8 and cp1252 lines, an unclosed quote, a
wrong row in a file with quotes, a header over several lines, a cell larger
than Arrow's block. The two paths give the same frame (tests/test_csvfast.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["read_csv_strict", "TooManyColumns", "sniff_delimiter", "excel_sep_line", "DELIMITERS", "header_names"]

DELIMITERS = (";", ",", "\t")
_SAMPLE = 1 << 20  # bytes read to sniff the delimiter and parse the header
_BLOCK = 16 << 20  # Arrow's block: a row longer than this goes the tolerant way
# Encodings in which every ASCII byte means its ASCII character (and no other byte
# is < 0x80): the split on ';' and '"' is then the same as on the decoded text.
_ASCII_BASED = {"utf-8", "utf-8-sig", "ascii", "cp1252", "latin-1", "iso8859-1", "iso8859-15", "cp850", "mac-roman"}


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header (and the next lines) most consistently."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (-1, -1)
    for delim in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delim))
        except csv.Error:
            continue
        header = len(rows[0])
        consistent = sum(1 for r in rows[1:] if len(r) == header)
        score = (header if header > 1 else 0, consistent)
        if score > best_score:
            best, best_score = delim, score
    return best


def excel_sep_line(text: str) -> str | None:
    """The delimiter a first line like ``sep=;`` names (Excel writes it, and reads it to split
    the columns), else None."""
    first = text[:16].split("\n", 1)[0].rstrip("\r")
    if first.lower().startswith("sep=") and len(first) == 5 and first[4] in DELIMITERS:
        return first[4]
    return None


def header_names(cells: list[str]) -> list[str]:
    """Column names as pandas makes them from a header: ``Unnamed: i`` for an empty
    cell, ``name.1``, ``name.2`` … for a repeated one."""
    names: list[str] = []
    seen: dict[str, int] = {}
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        name = cell if cell != "" else f"Unnamed: {i}"
        if name in taken:
            k = seen.get(name, 0)
            candidate = name
            while candidate in taken:
                k += 1
                candidate = f"{name}.{k}"
            seen[name] = k
            name = candidate
        taken.add(name)
        names.append(name)
    return names


def _count_quotes(path: Path) -> int:
    """How many double quotes the file holds (an odd count leaves one open), through a memory
    map: a file without any (the usual export) is one search, 0.1 s for 800 MB where reading
    and counting took 0.55 s of a core Arrow's reader wants; else NumPy counts them by block."""
    import mmap

    import numpy as np

    with path.open("rb") as fh:
        if not os.fstat(fh.fileno()).st_size:
            return 0
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if mapped.find(b'"') < 0:
                return 0
            data = np.frombuffer(mapped, dtype=np.uint8)
            try:
                return sum(int(np.count_nonzero(data[i:i + _BLOCK] == ord('"'))) for i in range(0, len(data), _BLOCK))
            finally:
                del data  # (the map cannot close while NumPy holds it)


class TooManyColumns(Exception):
    """The header has more columns than allowed (args: how many, and whether that count is exact
    or a lower bound): refused before any row is read."""


def read_csv_strict(path: Path, *, delimiter: str | None, encoding: str | None, max_columns: int | None = None):
    """Read ``path`` the fast way, or return None (the tolerant path then reads it).

    Returns ``(table, names, encoding_used, delimiter, rows, malformed)``: an Arrow
    table whose columns are ``dictionary<int32, string>`` (named ``names``, as
    pandas would name them), the encoding and delimiter used, the 1-based data-row
    numbers of the table's rows (None when they are 1, 2, 3 …), and the rows set
    aside (dicts as :class:`~vitale_analysis.read.RawLog` keeps them).
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            sample = fh.read(_SAMPLE)
    except OSError:
        return None
    if not sample.strip() or sample.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in sample[:4096]:
        return None  # empty, UTF-16/32: the tolerant path says what it is
    given = None
    if encoding is not None:
        try:
            given = codecs.lookup(encoding).name
        except LookupError:
            return None
        if given not in _ASCII_BASED:
            return None
    bom = sample.startswith(b"\xef\xbb\xbf")
    if bom and given not in (None, "utf-8", "utf-8-sig"):
        return None
    head = sample[3:] if bom else sample
    if size > _SAMPLE:  # a whole number of lines
        cut = head.rfind(b"\n")
        if cut < 0:  # a first line longer than the sample: a header that wide is refused here
            widest = max(head.count(d.encode()) for d in (delimiter,) if d) if delimiter else max(
                head.count(d.encode()) for d in DELIMITERS)
            if max_columns is not None and widest + 1 > max_columns:
                raise TooManyColumns(widest + 1, False)
            return None
        head = head[: cut + 1]
    head_text = head.decode("latin-1")  # byte for byte: the split is the same in every ASCII-based encoding
    excel_sep = excel_sep_line(head_text)
    delim = delimiter or excel_sep or sniff_delimiter(head_text)
    reader = csv.reader(io.StringIO(head_text, newline=""), delimiter=delim)
    try:
        if excel_sep:
            next(reader)  # (the "sep=;" line: not the header)
        cells = next(reader)
        while not cells:  # blank lines before the header
            cells = next(reader)
    except (StopIteration, csv.Error):
        return None
    header_lines = reader.line_num
    if max_columns is not None and len(cells) > max_columns:
        raise TooManyColumns(len(cells), True)
    if any("\n" in c or "\r" in c for c in cells) or len(cells) < 2:
        return None
    raw_cells = [c.encode("latin-1") for c in cells]

    n_columns = len(cells)
    keys = [f"c{i}" for i in range(n_columns)]
    invalid: list[tuple[Any, int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number, row.actual_columns, row.text))
        return "skip"

    def read(source: Path, threads: bool):
        invalid.clear()
        return pcsv.read_csv(
            source,
            read_options=pcsv.ReadOptions(column_names=keys, skip_rows=header_lines, use_threads=threads,
                                          block_size=_BLOCK),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                                            newlines_in_values=multiline, ignore_empty_lines=True,
                                            invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(
                column_types={k: pa.dictionary(pa.int32(), pa.binary()) for k in keys},
                check_utf8=False, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True),
        )

    with tempfile.TemporaryDirectory(prefix="vitale-csv-") as scratch:
        source = path
        # Quotes are counted (an odd count is an unclosed quote) while Arrow reads: a quote
        # in the sample means line breaks may sit inside quoted fields.
        multiline = b'"' in sample
        if size <= len(sample):
            quotes = sample.count(b'"')
            table = _read_table(read, source, invalid) if quotes % 2 == 0 else None
        else:
            with ThreadPoolExecutor(1) as pool:
                counting = pool.submit(_count_quotes, path)
                table = _read_table(read, source, invalid)
                quotes = counting.result()
            if quotes and not multiline and quotes % 2 == 0:  # quotes only after the sample: read again
                multiline = True
                table = _read_table(read, source, invalid)
        if quotes % 2:
            return None  # an unclosed quote: the tolerant path names its line
        used = None
        if table is _UNDECODABLE:
            # A wrong row (short or long) that is not UTF-8: Arrow cannot hand it over. The
            # file is then copied into UTF-8 (one pass; cp1252 unless told) and read again.
            if given in ("utf-8", "utf-8-sig") or (given is None and _has_utf8_accents(path)):
                return None  # not UTF-8 after all, or a mixed file: the tolerant path names the lines
            used = given or "cp1252"
            source = Path(scratch) / "utf8.csv"
            if not _transcode(path, source, used):
                return None
            table = _read_table(read, source, invalid)
            if table is _UNDECODABLE:
                return None
        if table is None:
            return None
        if used is None:
            used = _decide_encoding(table, raw_cells, given, bom)
            if used is None:
                return None
        try:
            names = header_names([c.decode(used) for c in raw_cells])
            values_encoding = "utf-8" if source is not path else used
            table = pa.table([_decode_column(table.column(k), values_encoding) for k in keys],
                             names=[f"c{i}" for i in range(n_columns)])
        except UnicodeDecodeError:
            return None

        if quotes and _swallowed_rows(table, delim):
            return None  # stray quotes: the tolerant path reads their lines as rows, with a note

        rows = None
        malformed: list[dict[str, Any]] = []
        if invalid:
            # Arrow decoded the wrong rows' bytes as UTF-8 (or failed): back to bytes, then the file's encoding.
            invalid = [(n, actual, text.encode("utf-8").decode(values_encoding)) for n, actual, text in invalid]
            out = _place_invalid(table, invalid, header_lines, n_columns, delim, quotes, source, values_encoding)
            if out is None:
                return None
            table, rows, malformed = out
    return table, names, used, delim, rows, malformed


def _swallowed_rows(table, delim: str) -> bool:
    """Whether a cell holds a line break followed by a line with a delimiter: perhaps a stray
    quote that swallowed events (looked at on the distinct values with a line break). The
    tolerant path then decides on whole lines (the last one goes on after the cell)."""
    import pyarrow.compute as pc

    for column in table.columns:
        for chunk in column.chunks:
            dictionary = chunk.dictionary
            broken = dictionary.filter(pc.fill_null(pc.match_substring(dictionary, "\n"), False))
            for value in broken.to_pylist():
                if any(delim in line for line in value.split("\n")[1:]):
                    return True
    return False


_UNDECODABLE = object()


def _read_table(read, source: Path, invalid: list) -> Any:
    """``read(source)`` on two threads, again on one if some rows were wrong (``invalid``: their
    numbers are known only then); None if Arrow cannot read it, _UNDECODABLE if a wrong row is not UTF-8.

    Such a row cannot be handed to the row handler: Arrow reports the decoding error as
    "unraisable" (printed on stderr, with the row's text); it is caught here instead.
    """
    import pyarrow as pa

    undecodable: list[Any] = []
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError):
            undecodable.append(unraisable.exc_type)
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        table = read(source, threads=True)
        if invalid and not undecodable:
            table = read(source, threads=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        table = None  # a row longer than a block, …
    finally:
        sys.unraisablehook = previous
    return _UNDECODABLE if undecodable else table


def _has_utf8_accents(path: Path) -> bool:
    """Whether the file holds UTF-8 multi-byte sequences (then it is UTF-8 with cp1252 lines)."""
    import re

    pattern = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
    with path.open("rb") as fh:
        tail = b""
        while chunk := fh.read(16 << 20):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-2:]
    return False


def _transcode(path: Path, target: Path, encoding: str) -> bool:
    """Copy ``path`` into ``target`` as UTF-8 (``encoding`` is single-byte: chunks split anywhere)."""
    try:
        with path.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(16 << 20):
                dst.write(chunk.decode(encoding).encode("utf-8"))
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _decide_encoding(table, raw_cells: list[bytes], given: str | None, bom: bool) -> str | None:
    """The encoding to decode the distinct values with, or None (a mixed file, for the tolerant path).

    Given: that one. Else UTF-8 when every distinct value (and the header) is valid
    UTF-8; else cp1252, unless some value is UTF-8 with accents (a file mixing both,
    whose lines the tolerant path names).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if given is not None:
        return "utf-8-sig" if given == "utf-8" and bom else given
    if bom:
        return "utf-8-sig"
    valid, accented = True, False
    dictionaries = [pa.array(raw_cells, type=pa.binary())]
    for column in table.columns:
        dictionaries.extend(chunk.dictionary for chunk in column.chunks)
    for dictionary in dictionaries:
        if not len(dictionary):
            continue
        try:
            text = dictionary.cast(pa.string())
        except pa.ArrowInvalid:
            valid = False
            accented = accented or any(_is_utf8(v) and not v.isascii() for v in dictionary.to_pylist())
            continue
        accented = accented or not pc.all(pc.string_is_ascii(text)).as_py()
    if valid:
        return "utf-8"
    return None if accented else "cp1252"


def _is_utf8(value: bytes | None) -> bool:
    if value is None:
        return False
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _decode_column(column, encoding: str):
    """A chunked ``dictionary<int32, binary>`` as ``dictionary<int32, string>``: only the
    distinct values are decoded (and only those with a byte above 0x7F, in Python)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = []
    for chunk in column.chunks:
        dictionary = chunk.dictionary
        try:
            text = dictionary.cast(pa.string())
            plain = encoding in ("utf-8", "utf-8-sig") or pc.all(pc.string_is_ascii(text)).as_py() in (True, None)
        except pa.ArrowInvalid:
            plain = False
        if not plain:
            text = pa.array([None if v is None else v.decode(encoding) for v in dictionary.to_pylist()],
                            type=pa.string())
        chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, text))
    if not chunks:
        return pa.chunked_array([], type=pa.dictionary(pa.int32(), pa.string()))
    return pa.chunked_array(chunks, type=pa.dictionary(pa.int32(), pa.string()))


def _place_invalid(table, invalid, header_lines: int, n_columns: int, delim: str, quotes: int, path: Path,
                   encoding: str):
    """Put the rows Arrow skipped back in their place: short rows padded (as pandas
    does), rows with too many fields set aside with their line. Returns ``(table,
    rows, malformed)``, or None for the tolerant path (a wrong row in a file with
    quotes, whose physical line this cannot tell)."""
    import numpy as np
    import pyarrow as pa

    numbers = [number for number, _, _ in invalid]
    if any(n is None for n in numbers):
        return None
    long_rows = [(n, actual, text) for n, actual, text in invalid if actual > n_columns]
    if long_rows and quotes:
        return None
    total = table.num_rows + len(invalid)
    data_rows = np.asarray(numbers, dtype=np.int64) - header_lines  # 1-based data row of each
    if data_rows.min() < 1 or data_rows.max() > total:
        return None
    keep = np.ones(total, dtype=bool)
    keep[data_rows - 1] = False
    good_rows = np.flatnonzero(keep) + 1
    short = [(r, text) for r, (n, actual, text) in zip(data_rows.tolist(), invalid) if actual < n_columns]
    malformed = []
    if long_rows:
        lines = _physical_lines(path, [text for _, _, text in long_rows], encoding)
        for (n, actual, text), line in zip(long_rows, lines):
            malformed.append({"row": int(n - header_lines), "line": line, "value": text[:200], "fields": actual,
                              "expected": n_columns})
    rows = good_rows
    if short:
        padded = []
        for r, text in short:
            cells = next(csv.reader([text], delimiter=delim), [])
            cells = [c if c != "" else None for c in cells] + [None] * (n_columns - len(cells))
            padded.append(cells)
        extra = pa.table([pa.array([p[i] for p in padded], type=pa.string()).dictionary_encode()
                          for i in range(n_columns)], names=table.column_names)
        table = pa.concat_tables([table, extra])
        rows = np.concatenate([good_rows, np.asarray([r for r, _ in short], dtype=np.int64)])
        order = np.argsort(rows, kind="stable")
        table = table.take(pa.array(order))
        rows = rows[order]
    return table, rows, malformed


def _physical_lines(path: Path, texts: list[str], encoding: str) -> list[int]:
    """The 1-based line of each text (rows set aside, in file order) in a file without quotes."""
    data = path.read_bytes()
    found, start = [], 0
    for text in texts:
        needle = text.encode(encoding)
        at = data.find(needle, start)
        if at < 0:
            found.append(None)
            continue
        found.append(data.count(b"\n", 0, at) + 1)
        start = at + len(needle)
    return found
