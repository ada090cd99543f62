"""Writes a synthetic project for the tidy benchmark: a data dictionary of 200 fields
over four instruments (text, integers, decimals, dates, date-times, radios, yes/no,
checkboxes) and a flat CSV export of N records, deterministic, about 30% blank cells.

Usage: bench_tidy_data.py DIR RECORDS
"""

import csv
import os
import sys

out, records = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
kinds = ["text", "int", "num", "num2", "date", "when", "radio", "yesno", "check"]
header = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number",
]
fields = [("record_id", "form_0", "text", "", "")]
for i in range(199):
    kind = kinds[i % len(kinds)]
    form = f"form_{i * 4 // 199}"
    name = f"f{i}_{kind}"
    spec = {
        "text": ("text", "", ""),
        "int": ("text", "", "integer"),
        "num": ("text", "", "number"),
        "num2": ("text", "", "number_2dp"),
        "date": ("text", "", "date_ymd"),
        "when": ("text", "", "datetime_ymd"),
        "radio": ("radio", "1, One | 2, Two | 3, Three | 4, Four | 5, Five", ""),
        "yesno": ("yesno", "", ""),
        "check": ("checkbox", "1, A | 2, B | 3, C", ""),
    }[kind]
    fields.append((name, form, spec[0], spec[1], spec[2]))
with open(os.path.join(out, "dictionary.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(header)
    for name, form, kind, choices, validation in fields:
        w.writerow([name, form, "", kind, name.replace("_", " "), choices, "", validation])

columns = []
for name, form, kind, _, _ in fields:
    columns += [f"{name}___{c}" for c in "123"] if kind == "checkbox" else [name]
forms = sorted({form for _, form, _, _, _ in fields})
# REDCap's order: each form's fields, then its status.
ordered = []
for form in forms:
    for name, f_form, kind, _, _ in fields:
        if f_form == form:
            ordered += [f"{name}___{c}" for c in "123"] if kind == "checkbox" else [name]
    ordered.append(f"{form}_complete")


def value(column, seed):
    if column == "record_id":
        return None
    if column.endswith("_complete"):
        return str(seed % 3)
    if "___" in column:
        return str(seed % 2)
    if seed % 10 < 3:
        return ""
    kind = column.split("_", 1)[1]
    if kind == "text":
        return f"text {seed % 997}"
    if kind == "int":
        return str(seed % 100000)
    if kind == "num":
        return f"{seed % 1000}.{seed % 97}"
    if kind == "num2":
        return f"{seed % 1000}.{seed % 100:02d}"
    if kind == "date":
        return f"20{seed % 25:02d}-{1 + seed % 12:02d}-{1 + seed % 28:02d}"
    if kind == "when":
        return f"2024-{1 + seed % 12:02d}-{1 + seed % 28:02d} {seed % 24:02d}:{seed % 60:02d}"
    if kind == "radio":
        return str(1 + seed % 5)
    return str(seed % 2)


with open(os.path.join(out, "export.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(ordered)
    for record in range(1, records + 1):
        row = []
        for index, column in enumerate(ordered):
            v = value(column, record * 31 + index * 7)
            row.append(str(record) if v is None else v)
        w.writerow(row)
print(f"{records} rows x {len(ordered)} columns ({len(fields)} fields)")
