"""Write the catalogue of malformed case logs (run once; the files are committed).

    python tests/data/malformed/make_catalogue.py

Every file is small. The truncated ``.xes.gz`` is cut from the real receipt log
vendored in tests/data/external/ (source and licence in its README.md; only the
first 4 kB are kept), else from a small XES written here. Expected outcomes live
in tests/test_malformed.py (CATALOGUE).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECEIPT = HERE.parent / "external" / "receipt.xes.gz"

H = "case_id,event,timestamp\n"
A1 = "A,registration_submitted,2025-01-06 09:00\n"
A2 = "A,registration_accepted,2025-01-10 10:00\n"
B1 = "B,registration_submitted,2025-02-03 09:00\n"
B2 = "B,registration_accepted,2025-02-07 10:00\n"
GOOD = A1 + A2 + B1 + B2


def nir(first13: str) -> str:
    return first13 + f"{97 - int(first13) % 97:02d}"


def text_files() -> dict[str, bytes]:
    u = lambda s: s.encode("utf-8")  # noqa: E731
    files = {
        # columns
        "missing_timestamp_column.csv": u("case_id,event\nA,registration_submitted\n"),
        "missing_event_column.csv": u("case_id,timestamp\nA,2025-01-06 09:00\n"),
        "renamed_columns_french.csv": u("N° dossier;Étape;Date\nA;registration_submitted;06/01/2025 09:00\n"),
        "renamed_case_column.csv": u("dossier_id,event,timestamp\n" + A1.split(",", 1)[1].join(["A,", ""])),
        "duplicate_header_after_rename.csv": u("case_id,Case_ID,event,timestamp\nA,A,registration_submitted,2025-01-06 09:00\n"),
        "headers_with_tabs_and_spaces.csv": u(" case_id\t, event ,\ttimestamp \n" + GOOD),
        "trailing_empty_columns.csv": u("case_id,event,timestamp,,\n" + GOOD.replace("\n", ",,\n")),
        # empty / blank
        "empty.csv": b"",
        "only_blank_lines.csv": b"\n\n   \n\r\n\n",
        "header_only.csv": u(H),
        "header_then_blank_lines.csv": u(H + "\n\n\n"),
        # delimiter and fields
        "pipe_delimiter.csv": u("case_id|event|timestamp\nA|registration_submitted|2025-01-06 09:00\n"),
        "semicolon_delimiter.csv": u(GOOD.replace(",", ";").join([H.replace(",", ";"), ""])),
        "tab_delimiter.tsv": u(GOOD.replace(",", "\t").join([H.replace(",", "\t"), ""])),
        "too_many_fields.csv": u(H + A1 + "A,registration_accepted,2025-01-10 10:00,extra,more\n" + B1),
        "quoted_newline_in_note.csv": u("case_id,event,timestamp,note\n"
                                        'A,registration_submitted,2025-01-06 09:00,"line one\nline two"\n'
                                        "A,registration_accepted,2025-01-10 10:00,\n"),
        "unclosed_quote.csv": u("case_id,event,timestamp,note\n"
                                'A,registration_submitted,2025-01-06 09:00,"never closed\n'
                                "A,registration_accepted,2025-01-10 10:00,x\n"),
        # encodings
        "bom_utf8.csv": b"\xef\xbb\xbf" + u(H + GOOD),
        "cp1252_accents.csv": ("case_id;event;timestamp;note\nA;registration_submitted;06/01/2025 09:00;"
                               "reçu à l'accueil\n").encode("cp1252"),
        "utf8_with_stray_cp1252_byte.csv": u("case_id,event,timestamp,note\nA,registration_submitted,2025-01-06 09:00,"
                                             "déjà reçu\n") + b"A,registration_accepted,2025-01-10 10:00,re\x92u\n",
        "neither_utf8_nor_cp1252.csv": u(H + A1) + b"A,registration_accepted,2025-01-10 10:00\x81\x8d\n",
        "utf16.csv": (H + GOOD).encode("utf-16"),
        # dates
        "mixed_time_zones.csv": u(H + "A,registration_submitted,2025-01-06T09:00:00+01:00\n"
                                  "A,registration_accepted,2025-01-10 10:00\n"),
        "all_aware_two_offsets.csv": u(H + "A,registration_submitted,2025-03-29T09:00:00+01:00\n"
                                       "A,registration_accepted,2025-03-31T09:00:00+02:00\n"),
        "impossible_dates.csv": u(H + A1 + "A,registration_accepted,31/02/2025\n"
                                  "A,nir_permanent,2025-13-01\n" "A,dossier_submitted,2025-01-20 25:61\n"
                                  "A,rights_opened,not a date\n" + B1),
        "dayfirst_and_monthfirst.csv": u(H + "A,registration_submitted,13/01/2025\n"
                                         "A,registration_accepted,01/14/2025\n"),
        "missing_timestamps.csv": u(H + A1 + "A,registration_accepted,\n" + "A,nir_permanent,   \n" + B1),
        "future_dates.csv": u(H + A1 + A2 + "A,nir_permanent,2025-07-01 09:00\n" "B,registration_submitted,2026-01-01\n"),
        "year_out_of_range.csv": u(H + A1 + "A,registration_accepted,1850-01-10\n" "A,nir_permanent,2400-01-01\n"),
        # rows
        "duplicated_rows.csv": u(H + A1 + A1 + A1 + A2 + B1),
        "conflicting_rows.csv": u("case_id,event,timestamp,office\n"
                                  "A,registration_submitted,2025-01-06 09:00,CPAM 75\n"
                                  "A,registration_submitted,2025-01-06 09:00,CPAM 93\n"
                                  "A,registration_accepted,2025-01-10 10:00,CPAM 75\n"),
        "same_time_tie.csv": u(H + A1 + "A,registration_accepted,2025-01-06 09:00\n"),
        "unknown_events_and_triggers.csv": u("case_id,event,timestamp,trigger\n"
                                             "A,registration_submitted,2025-01-06 09:00,\n"
                                             "A,coffee_break,2025-01-07 09:00,\n"
                                             "A,complement_requested,2025-01-08 09:00,lost_in_mail\n"
                                             "A,registration_accepted,2025-01-10 10:00,missing_translation\n"),
        "negative_span.csv": u(H + A1 + A2 + "A,nir_permanent,2025-01-15 09:00\n"
                               "A,dossier_submitted,2025-03-01 09:00\n" "A,rights_opened,2025-02-01 09:00\n"),
        "no_start_milestone.csv": u(H + A2 + B1 + B2),
        "empty_ids_and_events.csv": u(H + A1 + ",registration_accepted,2025-01-10 10:00\n"
                                      "A,,2025-01-11 10:00\n" "  ,  ,2025-01-12 10:00\n" + B1),
        "leading_zero_ids.csv": u(H + "00012,registration_submitted,2025-01-06 09:00\n"
                                  "00012,registration_accepted,2025-01-10 10:00\n"
                                  "012,registration_submitted,2025-01-06 09:00\n"),
        "unreadable_yes_no.csv": u("case_id,event,timestamp,born_abroad\n"
                                   "A,registration_submitted,2025-01-06 09:00,oui\n"
                                   "A,registration_accepted,2025-01-10 10:00,peut-être\n"),
        # cell contents
        "formulas_in_cells.csv": u("case_id,event,timestamp,note\n"
                                   "A,registration_submitted,2025-01-06 09:00,=cmd|' /C calc'!A0\n"
                                   "A,registration_accepted,2025-01-10 10:00,+1+1\n"
                                   "B,registration_submitted,2025-02-03 09:00,@SUM(A1:A2)\n"
                                   "B,registration_accepted,2025-02-07 10:00,-2+3\n"),
        "huge_cell.csv": u("case_id,event,timestamp,note\n" "A,registration_submitted,2025-01-06 09:00,"
                           + "x" * 1_048_576 + "\n" "A,registration_accepted,2025-01-10 10:00,short\n"),
        "nir_bad_key.csv": u("case_id,event,timestamp,nir\n"
                             f"A,registration_submitted,2025-01-06 09:00,{nir('1850775123456')}\n"
                             f"A,registration_accepted,2025-01-10 10:00,{nir('1850775123456')}\n"
                             f"B,registration_submitted,2025-02-03 09:00,{nir('2920275654321')}\n"
                             f"B,registration_accepted,2025-02-07 10:00,{nir('2920275654321')[:13]}00\n"),
        # other formats by suffix
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504,
        "unknown_suffix.log": u(H + GOOD),
        "fake_parquet.parquet": b"PAR1" + b"\0" * 100,
        "truncated_plain.xes": u('<?xml version="1.0"?>\n<log xes.version="1.0"><trace>'
                                 '<string key="concept:name" value="A"/><event>'
                                 '<string key="concept:name" value="registration_submitted"/>'),
        "xes_without_events.xes": u('<?xml version="1.0"?>\n<log xes.version="1.0"></log>\n'),
    }
    # The renamed case column, written plainly.
    files["renamed_case_column.csv"] = u("dossier_id,event,timestamp\nA,registration_submitted,2025-01-06 09:00\n")
    return files


def small_xes() -> bytes:
    traces = []
    for case, day in (("A", 6), ("B", 7)):
        traces.append(
            f'<trace><string key="concept:name" value="{case}"/>'
            f'<event><string key="concept:name" value="registration_submitted"/>'
            f'<date key="time:timestamp" value="2025-01-{day:02d}T09:00:00+01:00"/></event>'
            f'<event><string key="concept:name" value="registration_accepted"/>'
            f'<date key="time:timestamp" value="2025-01-{day + 4:02d}T09:00:00+01:00"/></event></trace>'
        )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0" xmlns="http://www.xes-standard.org/">'
            + "".join(traces) + "</log>\n").encode()


def truncated_xes_gz() -> bytes:
    if RECEIPT.exists():
        with RECEIPT.open("rb") as fh:
            return fh.read(4096)  # the first 4 kB of the real log: a gzip stream cut short
    return gzip.compress(small_xes() * 50)[:400]


def excel_files() -> dict[str, bytes]:
    import openpyxl
    import pandas as pd

    out = {}

    def save(book) -> bytes:
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Journal"
    ws.append(["case_id", "event", "timestamp", "note"])
    ws.append(["A", "registration_submitted", "2025-01-06 09:00", "=cmd|' /C calc'!A0"])
    ws.append(["A", "registration_accepted", "2025-01-10 10:00", "ok"])
    good_book = save(book)
    out["formula_cell.xlsx"] = good_book
    out["truncated.xlsx"] = good_book[: len(good_book) // 2]

    # The same dangerous text stored as text cells (what a CSV opened in Excel and saved gives).
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["case_id", "event", "timestamp", "note"])
    ws.append(["A", "registration_submitted", "2025-01-06 09:00", "=cmd|' /C calc'!A0"])
    ws.append(["A", "=cmd|' /C calc'!A0", "2025-01-08 09:00", "+1+1"])
    ws.append(["A", "registration_accepted", "2025-01-10 10:00", "@SUM(A1:A2)"])
    for row in ws.iter_rows():
        for cell in row:
            cell.data_type = "s"
    out["formula_text_cells.xlsx"] = save(book)

    book = openpyxl.Workbook()
    book.active.title = "Lisez-moi"
    book.active.append(["Ce classeur contient le journal dans la feuille suivante."])
    ws = book.create_sheet("Journal")
    ws.append(["case_id", "event", "timestamp"])
    ws.append(["A", "registration_submitted", "06/01/2025 09:00"])
    ws.append(["A", "registration_accepted", "10/01/2025 10:00"])
    out["data_on_second_sheet.xlsx"] = save(book)

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["case_id", "event", "timestamp"])
    ws.append(["00012", "registration_submitted", "2025-01-06 09:00"])
    ws.append([12, "registration_accepted", "2025-01-10 10:00"])
    out["leading_zero_ids.xlsx"] = save(book)

    frame = pd.DataFrame({
        "case_id": ["A", "A"],
        "event": ["registration_submitted", "registration_accepted"],
        "timestamp": pd.to_datetime(["2025-01-06 09:00", "2025-01-10 10:00"]).asi8,  # int64 ns, not a timestamp
    })
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    out["timestamp_as_int.parquet"] = buf.getvalue()
    return out


def main() -> None:
    files = {**text_files(), **excel_files(), "truncated.xes.gz": truncated_xes_gz()}
    for name, data in sorted(files.items()):
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files)} files to {HERE}")


if __name__ == "__main__":
    main()
