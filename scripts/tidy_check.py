"""Reads every table `cargo redcap export --tidy` / `cargo redcap tidy` wrote back with
pyarrow and DuckDB, and checks it against the flat export it came from: row counts, key
uniqueness, column types from the data dictionary, labels, and every value — putting
the tables back together must give exactly the flat export's non-blank cells. A
checkbox field's list column must agree with its boolean columns, in pyarrow and in
DuckDB's own list functions. Where a
case has them, also validates the flat JSON export against the project's records JSON
Schema (`cargo redcap schema --to json-schema`) with the `jsonschema` package.

Usage: tidy_check.py CASES.json, where CASES.json is a list of
{"name": ..., "flat": "flat.csv", "dirs": {"parquet": DIR, "arrow": DIR, "csv": DIR},
 "json": "flat.json", "json_schema": "records.schema.json", "csv_from_json": DIR};
without "json", the flat CSV's rows are validated; without "json_schema", no JSON
Schema check; with "csv_from_json", the CSV tables `cargo redcap tidy` made of the JSON
export must be the "csv" tables byte for byte.
"""

import csv
import datetime
import decimal
import json
import os
import sys

import duckdb
import jsonschema
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

KEY_COLUMNS = [
    "redcap_event_name",
    "redcap_arm",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
]
PSEUDO = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}
DATA_ROLES = {"value", "missing", "checkbox", "checkbox_missing", "status", "timestamp"}
CODES = pa.dictionary(pa.int32(), pa.string())
# A checkbox field's list form: its ticked codes.
TICKED = pa.list_(pa.field("item", pa.string(), nullable=False))

checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        raise AssertionError(message)


def meta(field, key):
    value = (field.metadata or {}).get(key.encode())
    return value.decode() if value is not None else None


def expected_type(row):
    """The Arrow type a field's value column must have, from its dictionary row alone."""
    kind, validation = row["field_type"], row["validation"] or ""
    annotation = row["field_annotation"] or ""
    if kind in ("yesno", "truefalse", "advcheckbox"):
        return pa.bool_()
    if kind in ("dropdown", "radio"):
        return CODES
    if kind == "slider":
        return pa.int64()
    if kind == "calc":
        return pa.decimal128(38, 15)
    if kind != "text" or "@CALCTEXT" in annotation:
        return pa.string()
    if validation.startswith("date_"):
        return pa.date32()
    if validation.startswith("datetime_"):
        return pa.timestamp("us")
    if validation in ("time", "time_hh_mm_ss", "time_mm_ss"):
        return pa.time64("us")
    if validation == "integer":
        return pa.int64()
    if validation.startswith("number"):
        places = validation.split("_")[1] if validation.count("dp") else ""
        scale = int(places[0]) if places.endswith("dp") else 15
        return pa.decimal128(38, scale)
    return pa.string()


def as_redcap_text(value, arrow_type, validation):
    """A typed value as REDCap writes it in a flat export, in a canonical form."""
    if pa.types.is_boolean(arrow_type):
        return "1" if value else "0"
    if pa.types.is_decimal(arrow_type):
        return canonical_decimal(value)
    if pa.types.is_timestamp(arrow_type):
        seconds = validation.startswith("datetime_seconds")
        return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if pa.types.is_date(arrow_type):
        return value.isoformat()
    if pa.types.is_time(arrow_type):
        return value.strftime(
            {"time": "%H:%M", "time_hh_mm_ss": "%H:%M:%S", "time_mm_ss": "%M:%S"}[validation]
        )
    return str(value)


def canonical_decimal(value):
    text = format(decimal.Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def canonical_flat(text, arrow_type):
    """A flat export cell in the same canonical form."""
    if pa.types.is_decimal(arrow_type):
        return canonical_decimal(text.replace(",", "."))
    if pa.types.is_integer(arrow_type):
        return str(int(text))
    return text


def read_flat(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [row for row in reader]


def load(directory, fmt, name):
    path = os.path.join(directory, f"{name}.{fmt}")
    if fmt == "parquet":
        return pq.read_table(path)
    with ipc.open_file(path) as reader:
        return reader.read_all()


def check_case(case):
    name, flat_path, dirs = case["name"], case["flat"], case["dirs"]
    header, rows = read_flat(flat_path)
    dictionary = pq.read_table(os.path.join(dirs["parquet"], "dictionary.parquet")).to_pylist()
    record_id = dictionary[0]["field_name"]
    by_field = {row["field_name"]: row for row in dictionary}
    forms = list(dict.fromkeys(row["form_name"] for row in dictionary))
    # Which form owns each export column, from the dictionary table.
    owner = {}
    for row in dictionary:
        for column in (row["export_columns"] or "").split(","):
            if column and column != record_id:
                owner[column] = row["form_name"]
    for form in forms:
        owner.setdefault(f"{form}_timestamp", form)
    position = {column: i for i, column in enumerate(header)}
    check(position.get(record_id) is not None, f"{name}: no record ID column")

    def key_of(row):
        cell = lambda c: row[position[c]] if c in position else ""
        return (cell(record_id), cell("redcap_event_name"), cell("redcap_repeat_instance"))

    # The flat export's non-blank cells, by table and key, and each table's rows.
    expected_cells = {}
    expected_rows = {form: set() for form in forms}
    for row in rows:
        key = key_of(row)
        for column, text in zip(header, row):
            if text == "" or column == record_id or column in PSEUDO:
                continue
            form = owner[column]
            expected_cells[(form, key, column)] = text
            expected_rows[form].add(key)

    for fmt in ("parquet", "arrow"):
        directory = dirs[fmt]
        actual_cells = {}
        for form in forms:
            table = load(directory, fmt, form)
            label = f"{name}/{form}.{fmt}"
            check(table.num_rows == len(expected_rows[form]),
                  f"{label}: {table.num_rows} rows, the export has {len(expected_rows[form])}")
            schema = table.schema
            check(schema.field(0).name == record_id, f"{label}: first column {schema.field(0).name}")
            check(meta(schema.field(0), "redcap.role") == "key", f"{label}: key metadata")
            # Types and labels from the dictionary.
            for field in schema:
                role = meta(field, "redcap.role")
                source = meta(field, "redcap.field")
                if role == "value":
                    entry = by_field[source]
                    check(field.type == expected_type(entry),
                          f"{label}: `{field.name}` is {field.type}, expected {expected_type(entry)}")
                    check(meta(field, "redcap.label") == entry["field_label"],
                          f"{label}: `{field.name}` label")
                    if entry["field_note"]:
                        check(meta(field, "redcap.note") == entry["field_note"], f"{label}: note")
                elif role in ("checkbox", "checkbox_missing"):
                    check(field.type == pa.bool_(), f"{label}: `{field.name}` is {field.type}")
                    check(meta(field, "redcap.label") == by_field[source]["field_label"],
                          f"{label}: `{field.name}` label")
                elif role == "checkbox_list":
                    entry = by_field[source]
                    check(field.name == source and entry["field_type"] == "checkbox",
                          f"{label}: list column `{field.name}` of `{source}`")
                    check(field.type == TICKED, f"{label}: `{field.name}` is {field.type}")
                    check(meta(field, "redcap.label") == entry["field_label"],
                          f"{label}: `{field.name}` label")
                    check(meta(field, "redcap.choices") == entry["choices"],
                          f"{label}: `{field.name}` choices")
                elif role in ("missing", "label", "status", "status_label"):
                    check(field.type == CODES, f"{label}: `{field.name}` is {field.type}")
            # Keys unique, counted by DuckDB.
            keys = [c for c in [record_id] + KEY_COLUMNS if c in schema.names]
            grouped = ", ".join(f'"{k}"' for k in keys)
            arrow_table = table  # scanned by name from DuckDB
            duplicates = duckdb.sql(
                f"SELECT count(*) FROM (SELECT {grouped}, count(*) AS n FROM arrow_table "
                f"GROUP BY ALL HAVING n > 1)"
            ).fetchall()[0][0]
            check(duplicates == 0, f"{label}: {duplicates} duplicated keys")
            # Choice labels match their codes.
            for field in schema:
                if meta(field, "redcap.role") not in ("value", "status") or field.type != CODES:
                    continue
                choices = dict(
                    item.split(", ", 1) for item in meta(field, "redcap.choices").split(" | ")
                )
                codes = table.column(field.name).to_pylist()
                labels = table.column(f"{field.name}_label").to_pylist()
                for code, text in zip(codes, labels):
                    check((code is None and text is None) or choices.get(code) == text,
                          f"{label}: `{field.name}` {code!r} labelled {text!r}")
            check_lists(label, schema, table.to_pylist())
            check_lists_in_duckdb(label, schema, table)
            # Every value, back in REDCap's text (list columns left out: they repeat the
            # boolean columns, checked against them above).
            actual_cells.update(table_cells(table, form, record_id, by_field))
        missing = {k: v for k, v in expected_cells.items() if k not in actual_cells}
        extra = {k: v for k, v in actual_cells.items() if k not in expected_cells}
        check(not missing, f"{name}.{fmt}: cells lost: {list(missing.items())[:5]}")
        check(not extra, f"{name}.{fmt}: cells invented: {list(extra.items())[:5]}")
        for key, text in expected_cells.items():
            arrow_type, value = actual_cells[key]
            check(canonical_flat(text, arrow_type) == value,
                  f"{name}.{fmt}: {key}: export {text!r}, table {value!r}")

    check_duckdb_parquet(name, dirs["parquet"], forms, expected_rows, expected_cells, record_id, by_field)
    check_csv(name, dirs["csv"], dirs["parquet"], forms)
    if "csv_from_json" in case:
        check_same_files(name, dirs["csv"], case["csv_from_json"])
    if "json_schema" in case:
        check_json_schema(name, case.get("json") or flat_path, case["json_schema"], len(rows))
    print(f"{name}: {len(rows)} export rows, {len(expected_cells)} cells in {len(forms)} tables: ok")


def table_cells(table, form, record_id, by_field, rows=None):
    """{(form, key, export column): (type, canonical text)} of a table's data cells."""
    schema = table.schema
    data = rows if rows is not None else table.to_pylist()
    cells = {}
    for row in data:
        key = (
            row[record_id],
            row.get("redcap_event_name") or "",
            str(row["redcap_repeat_instance"]) if row.get("redcap_repeat_instance") else "",
        )
        for field in schema:
            role = meta(field, "redcap.role")
            if role not in DATA_ROLES or row[field.name] is None:
                continue
            source = meta(field, "redcap.field")
            column = field.name if role in ("checkbox", "checkbox_missing", "status", "timestamp") else source
            validation = (by_field.get(source) or {}).get("validation") or ""
            text = as_redcap_text(row[field.name], field.type, validation)
            check((form, key, column) not in cells, f"{form}: {key} {column} twice")
            cells[(form, key, column)] = (field.type if role == "value" else pa.string(), text)
    return cells


def checkbox_lists(schema):
    """{list column: (codes in dictionary order, {code: boolean column}, [missing-code columns])}."""
    lists = {}
    for field in schema:
        if meta(field, "redcap.role") != "checkbox_list":
            continue
        codes = [item.split(", ", 1)[0] for item in meta(field, "redcap.choices").split(" | ")]
        boxes, missing = {}, []
        for other in schema:
            if meta(other, "redcap.field") != field.name:
                continue
            role = meta(other, "redcap.role")
            if role == "checkbox":
                boxes[meta(other, "redcap.choice_code")] = other.name
            elif role == "checkbox_missing":
                missing.append(other.name)
        lists[field.name] = (codes, boxes, missing)
    return lists


def check_lists(label, schema, rows):
    """Each list holds exactly the ticked boxes' codes in the dictionary's order; it is
    null when every box is blank, or when a missing-data code is ticked and no choice is."""
    for column, (codes, boxes, missing) in checkbox_lists(schema).items():
        check(set(boxes) == set(codes), f"{label}: `{column}` has boxes {sorted(boxes)}")
        for row in rows:
            ticked = [code for code in codes if row[boxes[code]] is True]
            answered = any(row[c] is not None for c in list(boxes.values()) + missing)
            unknown = any(row[c] is True for c in missing)
            expected = ticked if ticked or (answered and not unknown) else None
            actual = row[column]
            check((list(actual) if actual is not None else None) == expected,
                  f"{label}: `{column}` is {actual!r}, its boxes say {expected!r}")


def check_lists_in_duckdb(label, schema, arrow_table):
    """DuckDB's list functions agree with the boolean columns, box by box."""
    for column, (codes, boxes, _) in checkbox_lists(schema).items():
        for code in codes:
            box = boxes[code]
            disagree = duckdb.sql(
                f'SELECT count(*) FROM arrow_table WHERE "{column}" IS NOT NULL '
                f'AND list_contains("{column}", $code) IS DISTINCT FROM coalesce("{box}", false)',
                params={"code": code},
            ).fetchall()[0][0]
            check(disagree == 0, f"{label}: DuckDB: `{column}` and `{box}` disagree on {disagree} rows")
        counted = " + ".join(f'coalesce("{boxes[c]}", false)::INTEGER' for c in codes)
        wrong = duckdb.sql(
            f'SELECT count(*) FROM arrow_table WHERE len("{column}") <> {counted}'
        ).fetchall()[0][0]
        check(wrong == 0, f"{label}: DuckDB: `{column}` lengths differ from ticked boxes on {wrong} rows")


def check_duckdb_parquet(name, directory, forms, expected_rows, expected_cells, record_id, by_field):
    """DuckDB reads the Parquet files on its own: counts, SQL types, every value."""
    duck_types = {
        "DATE": pa.types.is_date,
        "TIMESTAMP": pa.types.is_timestamp,
        "TIME": pa.types.is_time,
        "BOOLEAN": pa.types.is_boolean,
        "BIGINT": pa.types.is_int64,
        "INTEGER": pa.types.is_int32,
        "VARCHAR": lambda t: pa.types.is_string(t) or pa.types.is_dictionary(t),
        "VARCHAR[]": lambda t: t == TICKED,
    }
    cells = {}
    for form in forms:
        path = os.path.join(directory, f"{form}.parquet")
        schema = pq.read_schema(path)
        relation = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
        count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]
        check(count == len(expected_rows[form]), f"{name}/{form}: DuckDB counts {count}")
        for column, sql_type in zip(relation.columns, relation.types):
            arrow_type = schema.field(column).type
            sql_type = str(sql_type)
            if sql_type.startswith("DECIMAL"):
                check(sql_type == f"DECIMAL({arrow_type.precision},{arrow_type.scale})",
                      f"{name}/{form}: {column} is {sql_type} in DuckDB")
            else:
                check(duck_types.get(sql_type, lambda t: False)(arrow_type),
                      f"{name}/{form}: {column} is {sql_type} in DuckDB, {arrow_type} in Arrow")
        rows = [dict(zip(relation.columns, values)) for values in relation.fetchall()]
        check_lists(f"{name}/{form} (DuckDB)", schema, rows)
        cells.update(table_cells(pa.Table.from_pylist([], schema=schema), form, record_id, by_field, rows))
    check(set(cells) == set(expected_cells), f"{name}: DuckDB's cells differ from the export's")
    for key, text in expected_cells.items():
        arrow_type, value = cells[key]
        check(canonical_flat(text, arrow_type) == value, f"{name} (DuckDB): {key}: {text!r} vs {value!r}")


def check_csv(name, directory, parquet_directory, forms):
    """The CSV tables hold the Parquet tables' values, as text, under the same header."""
    for form in forms + ["dictionary"]:
        table = pq.read_table(os.path.join(parquet_directory, f"{form}.parquet"))
        path = os.path.join(directory, f"{form}.csv")
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        check(header == table.schema.names, f"{name}/{form}.csv: header {header}")
        check(len(rows) == table.num_rows, f"{name}/{form}.csv: {len(rows)} rows")
        count = duckdb.sql(f"SELECT count(*) FROM read_csv('{path}', all_varchar = true)").fetchall()[0][0]
        check(count == table.num_rows, f"{name}/{form}.csv: DuckDB counts {count}")
        for row, expected in zip(rows, table.to_pylist()):
            for field, cell in zip(table.schema, row):
                value = expected[field.name]
                check(cell == csv_text(value, field.type),
                      f"{name}/{form}.csv: `{field.name}` {cell!r}, Parquet has {value!r}")


def check_same_files(name, expected, actual):
    """`cargo redcap tidy` of the JSON export wrote the same CSV tables as the CSV export gave."""
    files = sorted(os.listdir(expected))
    check(sorted(os.listdir(actual)) == files, f"{name}: tables from JSON: {sorted(os.listdir(actual))}")
    for file in files:
        with open(os.path.join(expected, file), "rb") as a, open(os.path.join(actual, file), "rb") as b:
            check(a.read() == b.read(), f"{name}: {file} from the JSON export differs")


def check_json_schema(name, export_path, schema_path, row_count):
    """The flat JSON export validates against the records JSON Schema; a wrong value does not."""
    with open(export_path, newline="", encoding="utf-8-sig") as f:
        rows = json.load(f) if export_path.endswith(".json") else list(csv.DictReader(f))
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(rows))
    check(not errors, f"{name}: the JSON export does not fit its schema: {errors[:3]}")
    check(len(rows) == row_count, f"{name}: {len(rows)} JSON rows")
    properties = schema["$defs"]["row"]["properties"]
    typed = [c for c, p in properties.items() if "enum" in p or "anyOf" in p]
    if rows and typed:
        bad = dict(rows[0], **{typed[-1]: "not a value of this field"})
        check(not validator.is_valid([bad]), f"{name}: a wrong value passes the JSON Schema")
        unknown = dict(rows[0], no_such_column="1")
        check(not validator.is_valid([unknown]), f"{name}: an unknown column passes the JSON Schema")


def csv_text(value, arrow_type):
    if value is None:
        return ""
    if pa.types.is_list(arrow_type):
        return "|".join(value)
    if pa.types.is_boolean(arrow_type):
        return "true" if value else "false"
    if pa.types.is_decimal(arrow_type):
        return canonical_decimal(value)
    if pa.types.is_timestamp(arrow_type):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if pa.types.is_time(arrow_type):
        return value.strftime("%H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for case in cases:
        check_case(case)
    print(f"tidy: {len(cases)} projects, {checks} checks")
    print(f"{checks} passed, 0 failed")


if __name__ == "__main__":
    main()
