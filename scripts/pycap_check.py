"""PyCap against redcap-emulator: records, metadata, field names,
instruments, events, arms, mappings, repeating setup, project info, files,
users, roles, data access groups, the File Repository, surveys, reports,
logging and PDFs.

Usage: pycap_check.py '<the emulator's start line>'
"""

import io
import json
import sys

from redcap import Project

start = json.loads(sys.argv[1])
tokens = {p["name"]: p["token"] for p in start["projects"]}
url = start["url"]

simple = Project(url, tokens["simple"])
long = Project(url, tokens["long"])
repeating = Project(url, tokens["repeating"])
doctest = Project(url, tokens["doctest"])

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

# Files of a file field: upload, download byte for byte, delete.
payload = bytes(range(256)) * 4
doctest.import_file("1", "upload_field", "scan.bin", io.BytesIO(payload), event="event_1_arm_1", repeat_instance=1)
content, headers = doctest.export_file("1", "upload_field", event="event_1_arm_1", repeat_instance=1)
assert content == payload and headers["name"] == "scan.bin", headers
doctest.delete_file("1", "upload_field", event="event_1_arm_1")
try:
    doctest.export_file("1", "upload_field", event="event_1_arm_1", repeat_instance=1)
    raise AssertionError("a deleted file was downloaded")
except Exception as error:
    assert "There is no file to download for this record" in str(error), error

# PDF of an instrument: a real PDF.
pdf, _ = doctest.export_pdf(record="1", event="event_1_arm_1", instrument="form_1")
assert pdf.startswith(b"%PDF-1.") and pdf.rstrip().endswith(b"%%EOF"), pdf[:20]

# Users, roles and data access groups.
users = doctest.export_users()
assert users and "username" in users[0] and "forms" in users[0], users
assert doctest.import_users([{"username": "pycap_user", "api_export": 1}]) == 1
assert any(u["username"] == "pycap_user" for u in doctest.export_users())
assert doctest.import_user_roles([{"unique_role_name": "", "role_label": "PyCap readers"}]) == 1
role = next(r for r in doctest.export_user_roles() if r["role_label"] == "PyCap readers")
assert doctest.import_user_role_assignment([{"username": "pycap_user", "unique_role_name": role["unique_role_name"]}]) == 1
assignment = next(a for a in doctest.export_user_role_assignment() if a["username"] == "pycap_user")
assert assignment["unique_role_name"] == role["unique_role_name"], assignment
dags = doctest.export_dags()
assert [d["unique_group_name"] for d in dags] == ["test_dag"], dags
assert doctest.import_dags([{"data_access_group_name": "PyCap site", "unique_group_name": ""}]) == 1
assert "pycap_site" in [d["unique_group_name"] for d in doctest.export_dags()]
assert doctest.import_user_dag_assignment([{"username": "pycap_user", "redcap_data_access_group": "pycap_site"}]) == 1
mapping = next(m for m in doctest.export_user_dag_assignment() if m["username"] == "pycap_user")
assert mapping["redcap_data_access_group"] == "pycap_site", mapping
assert doctest.delete_dags(["pycap_site"]) == 1
assert doctest.delete_user_roles([role["unique_role_name"]]) == 1
assert doctest.delete_users(["pycap_user"]) == 1
assert all(u["username"] != "pycap_user" for u in doctest.export_users())

# File Repository: folder, upload, list, download, delete.
folder = doctest.create_folder_in_repository("PyCap folder")
folder_id = folder[0]["folder_id"]
doctest.import_file_into_repository("protocol.txt", io.BytesIO(b"version 1"), folder_id=folder_id)
listing = doctest.export_file_repository(folder_id=folder_id)
entry = next(e for e in listing if e.get("name") == "protocol.txt")
content, headers = doctest.export_file_from_repository(int(entry["doc_id"]))
assert content == b"version 1" and headers["name"] == "protocol.txt", headers
doctest.delete_file_from_repository(int(entry["doc_id"]))
assert all(e.get("name") != "protocol.txt" for e in doctest.export_file_repository(folder_id=folder_id))

# Surveys.
link = doctest.export_survey_link("1", "form_1", event="event_1_arm_1")
assert link.startswith(url.replace("api/", "surveys/?s=")), link
queue = doctest.export_survey_queue_link("1")
assert queue.startswith(url.replace("api/", "surveys/?sq=")), queue
code = doctest.export_survey_access_code("1", "form_1", event="event_1_arm_1")
assert code and code.isalnum(), code
participants = doctest.export_survey_participant_list("form_1", event="event_1_arm_1")
assert participants and "survey_access_code" in participants[0], participants[0]

# Reports and logging.
report = doctest.export_report("1")
assert report and "record_id" in report[0], report
log = doctest.export_logging()
actions = [entry["action"] for entry in log]
assert log and all({"timestamp", "username", "action", "details"} <= set(entry) for entry in log), log[0]
# The records the project XML brought, the file upload into record 1, and the exports.
assert "Create record (API) 1 (Event 1)" in actions, actions
assert "Update record (API) 1" in actions, actions
assert any(a.startswith("Data export (API)") for a in actions), actions

print("PyCap check passed against", url)
