"""The built command on rows shaped like the results of the detection's search as upstream version 10 writes it: the
20 standard Endpoint.Processes fields, missing ones filled with "null" (security_content_summariesonly sets
fillnull_value=null). ngrokscore uses the paths and the parent's command line it now receives."""

from ngrokscore_local import run

from sa_ngrok_detection import detection

TEMPORARY = "ngrok binary or config in a temporary or world-writable path"
PARENT = "started by a web server, script interpreter or scheduler"


def v10_row(**changes):
    """One result row with every by-field of the v10 search (after drop_dm_object_name) and the stats columns."""
    row = {field: "null" for field in detection.TSTATS_BY_FIELDS}
    row.update({
        "action": "allowed", "dest": "build-07", "user": "ci", "user_id": "1001", "vendor_product": "Sysmon for Linux",
        "process_name": "ngrok", "process": "ngrok http 8080", "process_path": "/usr/local/bin/ngrok",
        "process_exec": "ngrok", "process_id": "4242", "process_guid": "{8f0c2a7e-1111-4c3d-9e2f-000000000001}",
        "parent_process_name": "bash", "parent_process": "/bin/bash", "parent_process_path": "/usr/bin/bash",
        "parent_process_exec": "bash", "parent_process_id": "4000",
        "parent_process_guid": "{8f0c2a7e-1111-4c3d-9e2f-000000000000}",
        "count": "1", "firstTime": "2026-11-20T02:14:07", "lastTime": "2026-11-20T02:14:07",
    })
    row.update(changes)
    return row


def reasons(row):
    value = row["risk_reasons"]
    return value if isinstance(value, list) else ([value] if value else [])


def score(rows):
    result = run(rows)
    assert result.exit_code == 0, result.stderr
    assert len(result.rows) == len(rows)
    return result.rows


def test_the_row_shape_is_the_searchs():
    # The fields this file feeds the command are exactly those the shipped search groups by.
    assert set(detection.TSTATS_BY_FIELDS) <= set(v10_row())
    assert len(detection.TSTATS_BY_FIELDS) == 20


def test_a_relative_binary_started_from_tmp_gets_the_temporary_path_points(python):
    # "./ngrok" names no directory: only process_path tells where the binary is.
    rows = [v10_row(process="./ngrok tcp 8080", process_path="/tmp/ngrok"),
            v10_row(process="./ngrok tcp 8080", process_path="/home/ci/bin/ngrok")]
    result = run(rows, python=python)
    assert result.exit_code == 0, result.stderr
    from_tmp, from_home = result.rows
    assert reasons(from_tmp) == [TEMPORARY]
    assert int(from_tmp["risk_score"]) == int(from_home["risk_score"]) + 15
    assert reasons(from_home) == []


def test_a_placeholder_parent_name_is_read_from_the_parent_path():
    [row] = score([v10_row(parent_process_name="null", parent_process_path="/usr/sbin/apache2",
                           parent_process="/usr/sbin/apache2 -k start")])
    assert PARENT in reasons(row)
    assert "spawning from apache2 - ngrok" in row["risk_message"]
    assert row["parent_process_name"] == "null"  # input fields are never rewritten


def test_without_name_or_path_the_parent_is_read_from_its_command_line():
    rows = score([v10_row(parent_process_name="unknown", parent_process_path="null",
                          parent_process='"/usr/bin/python3" -c "import os; os.system(\'ngrok tcp 22\')"'),
                  v10_row(parent_process_name="-", parent_process_path="", parent_process="N/A")])
    interpreter, nothing = rows
    assert PARENT in reasons(interpreter)
    assert "spawning from python3 - ngrok" in interpreter["risk_message"]
    assert PARENT not in reasons(nothing)


def test_a_real_parent_name_wins_over_its_path():
    [row] = score([v10_row(parent_process_name="bash", parent_process_path="/usr/sbin/apache2")])
    assert PARENT not in reasons(row)


def test_secrets_in_the_parents_command_line_are_masked_and_identifiers_pass_through():
    token = "2abcDEFghiJKLmnoPQRstuVWXyz0123456789abcd"
    row_in = v10_row(parent_process="/bin/sh -c 'ngrok config add-authtoken %s && ngrok tcp 22'" % token,
                     parent_process_name="null", parent_process_path="null")
    [row] = score([row_in])
    assert token not in row["parent_process"] and "********" in row["parent_process"]
    assert token not in row["risk_message"]
    assert "spawning from sh - ngrok" in row["risk_message"]
    for field in ("process_guid", "parent_process_guid", "process_exec", "parent_process_exec", "vendor_product",
                  "action", "user_id", "process_hash", "process_integrity_level"):
        assert row[field] == row_in[field], field
