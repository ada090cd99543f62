"""PyCap against redcap-emulator: records, metadata, field names,
instruments, events, arms, mappings, repeating setup and project info.

Usage: pycap_check.py '<the emulator's start line>'
"""

import json
import sys

from redcap import Project

start = json.loads(sys.argv[1])
tokens = {p["name"]: p["token"] for p in start["projects"]}
url = start["url"]

simple = Project(url, tokens["simple"])
long = Project(url, tokens["long"])
repeating = Project(url, tokens["repeating"])

# Records: export, filter, import, re-export, delete.
records = simple.export_records()
assert len(records) == 5, records
assert records[0]["record_id"] == "1" and records[0]["name_first"] == "Nutmeg", records[0]
assert "race___1" in records[0], list(records[0])
some = simple.export_records(records=["2"], fields=["record_id", "name_last"])
assert some == [{"record_id": "2", "name_last": "Nutmouse"}], some
filtered = simple.export_records(filter_logic="[sex] = '1'", fields=["record_id", "sex"])
assert filtered and all(r["sex"] == "1" for r in filtered), filtered
result = simple.import_records([{"record_id": "100", "name_first": "Py", "race___2": "1"}])
assert result == {"count": 1}, result
new = simple.export_records(records=["100"])[0]
assert new["name_first"] == "Py" and new["race___2"] == "1", new
assert simple.delete_records(["100"]) == 1
assert simple.export_records(records=["100"]) == []
csv_text = simple.export_records(format_type="csv", fields=["record_id"])
assert csv_text == "record_id\n1\n2\n3\n4\n5\n", repr(csv_text)
try:
    simple.import_records([{"record_id": "1", "weight": "heavy"}])
    raise AssertionError("invalid value imported")
except Exception as error:  # PyCap raises RedcapError with REDCap's message
    assert "could not be validated" in str(error), error

# Repeating instruments: instance numbers come back as numbers.
rows = repeating.export_records()
instances = [r["redcap_repeat_instance"] for r in rows if r["redcap_repeat_instrument"]]
assert instances and all(isinstance(i, int) for i in instances), instances
setup = repeating.export_repeating_instruments_events()
assert [r["form_name"] for r in setup] == ["blood_pressure", "laboratory", "image"], setup
assert setup[0]["custom_form_label"] == "[sbp] / [dbp]", setup

# Metadata, field names, instruments.
metadata = simple.export_metadata()
assert metadata[0]["field_name"] == "record_id", metadata[0]
names = simple.export_field_names()
assert {"original_field_name": "race", "choice_value": "1", "export_field_name": "race___1"} in names
instruments = simple.export_instruments()
assert [i["instrument_name"] for i in instruments] == ["demographics", "health", "race_and_ethnicity"]

# Longitudinal structure.
arms = long.export_arms()
assert [a["arm_num"] for a in arms] == [1, 2], arms
events = long.export_events()
assert any(e["unique_event_name"] == "enrollment_arm_1" for e in events), events
mappings = long.export_instrument_event_mappings()
assert any(m["unique_event_name"] == "enrollment_arm_1" for m in mappings), mappings
setup = long.export_repeating_instruments_events()
assert setup[0]["event_name"] == "enrollment_arm_1" and setup[0]["form_name"] == "baseline_data", setup
rows = long.export_records(events=["enrollment_arm_1"])
assert rows and all(r["redcap_event_name"] == "enrollment_arm_1" for r in rows)

# Project info.
info = simple.export_project_info()
assert info["project_title"] == "REDCapR: simple" and info["is_longitudinal"] == 0, info
assert long.export_project_info()["is_longitudinal"] == 1
assert str(simple.export_version()) == "15.7.6", simple.export_version()

print("PyCap check passed against", url)
