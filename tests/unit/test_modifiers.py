"""The risk modifier table: the shipped defaults and the loader (pure code, from the built app)."""

import os

import pytest

from sa_ngrok_detection import modifiers
from sa_ngrok_detection.lookup_files import LOOKUPS_DIR

HEADER = "modifier,field,patterns,score,reason,enabled\n"


def shipped():
    table = modifiers.load_tuned()  # the built app has no overrides file: the defaults alone
    assert table.errors == []
    return table


def evaluate(table, **values):
    return table.evaluate(lambda field: [value.lower() for value in values.get(field, [])])


def test_the_shipped_table_is_read_from_the_built_apps_lookups():
    assert os.path.exists(os.path.join(LOOKUPS_DIR, modifiers.MODIFIER_DEFAULTS_FILE))
    assert not os.path.exists(os.path.join(LOOKUPS_DIR, modifiers.MODIFIER_OVERRIDES_FILE))
    names = [modifier.name for modifier in shipped().modifiers]
    assert names == ["remote_admin_port", "authtoken_on_command_line", "temporary_path", "suspicious_parent",
                     "runs_as_root", "persistence", "informational_verb",
                     # issue 12: renamed agents and the network searches' domain roles
                     "renamed_binary", "agent_domain_lookup", "tcp_endpoint_lookup"]


@pytest.mark.parametrize("port", ["22", "3389", "5900", "5985", "5986", "445", "139"])
def test_remote_admin_ports_raise_the_score(port):
    assert evaluate(shipped(), ngrok_target_port=[port]) == (30, ["tunnel exposes a remote-admin port"])


@pytest.mark.parametrize("port", ["80", "8080", "2222", "443", "220"])
def test_other_ports_do_not(port):
    assert evaluate(shipped(), ngrok_target_port=[port]) == (0, [])


@pytest.mark.parametrize("path", ["/tmp/ngrok", "/var/tmp/x/ngrok", "/dev/shm/.n/ngrok", "/tmp/a.yml"])
def test_temporary_paths(path):
    assert evaluate(shipped(), ngrok_paths=["/usr/bin/ngrok", path])[1] == [
        "ngrok binary or config in a temporary or world-writable path"]


@pytest.mark.parametrize("parent", ["apache2", "httpd", "nginx", "php-fpm8.2", "python3.11", "perl", "ruby",
                                    "node", "java", "cron", "CROND", "atd", "systemd-run"])
def test_suspicious_parents(parent):
    assert evaluate(shipped(), parent_process_name=[parent]) == (
        20, ["started by a web server, script interpreter or scheduler"])


@pytest.mark.parametrize("parent", ["bash", "zsh", "sshd", "systemd", "sh"])
def test_ordinary_parents(parent):
    assert evaluate(shipped(), parent_process_name=[parent]) == (0, [])


@pytest.mark.parametrize("arguments", ["service install --config /etc/ngrok.yml", "service start",
                                       "start --all", "start --all --config /x.yml", "start web --all"])
def test_persistence(arguments):
    assert evaluate(shipped(), ngrok_arguments=[arguments])[1] == [
        "persistence: installed as a service or starting every configured tunnel"]


@pytest.mark.parametrize("action", ["version", "help", "update", "completion", "diagnose", "config check"])
def test_informational_verbs_lower_the_score(action):
    assert evaluate(shipped(), ngrok_action=[action]) == (-40, ["informational ngrok command that opens no tunnel"])


def test_root_and_authtoken():
    assert evaluate(shipped(), user=["root"], ngrok_authtoken_present=["true"]) == (
        20, ["ngrok credential given on the command line", "running as root"])
    assert evaluate(shipped(), user=["rooter"], ngrok_authtoken_present=["false"]) == (0, [])


def write(lookups_dir, body):
    with open(os.path.join(lookups_dir, "mods.csv"), "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + body)
    return modifiers.load("mods.csv", lookups_dir=lookups_dir)


def test_disabled_rows_are_skipped_and_enabled_defaults_to_true(lookups_dir):
    table = write(lookups_dir, "a,dest,x,5,on,\nb,dest,x,7,off,false\nc,dest,x,-3,also on,TRUE\n")
    assert table.errors == []
    assert evaluate(table, dest=["X"]) == (2, ["on", "also on"])
    assert table.fields == ("dest",)


@pytest.mark.parametrize("line, problem", [
    (",dest,x,5,r,true", "the modifier name is empty"),
    ("m,nope,x,5,r,true", "field 'nope' is not one ngrokscore knows"),
    ("m,dest,,5,r,true", "patterns is empty"),
    ("m,dest, | ,5,r,true", "patterns is empty"),
    ("m,dest,x,five,r,true", "score 'five' is not a whole number from -100 to 100"),
    ("m,dest,x,101,r,true", "from -100 to 100"),
    ("m,dest,x,-101,r,true", "from -100 to 100"),
    ("m,dest,x,5,,true", "the reason is empty"),
    ("m,dest,x,5,r,sometimes", "enabled 'sometimes' is not true or false"),
    ("m,dest,x,5", "has 4 fields where the header has 6"),
])
def test_bad_rows_are_reported_with_line_and_skipped(lookups_dir, line, problem):
    table = write(lookups_dir, "ok,dest,y,1,kept,true\n" + line + "\n")
    assert [modifier.name for modifier in table.modifiers] == ["ok"]
    [error] = table.errors
    assert error.startswith("mods.csv line 3: ") and problem in error and error.endswith("modifier ignored")


def test_duplicate_names_are_refused(lookups_dir):
    table = write(lookups_dir, "m,dest,x,1,first,true\nm,user,y,1,second,true\n")
    assert [modifier.reason for modifier in table.modifiers] == ["first"]
    assert table.errors == ["mods.csv line 3: modifier 'm' is defined twice; modifier ignored"]


# -- the admin's overrides over the shipped defaults -------------------------------------------------------------

def write_file(lookups_dir, name, body):
    with open(os.path.join(lookups_dir, name), "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + body)


def test_overrides_replace_defaults_by_name_switch_them_off_and_add_new_ones(lookups_dir):
    write_file(lookups_dir, modifiers.MODIFIER_DEFAULTS_FILE,
               "a,dest,x,5,default a,true\nb,dest,x,7,default b,true\nc,dest,x,9,default c,true\n")
    write_file(lookups_dir, modifiers.MODIFIER_OVERRIDES_FILE,
               "new,user,*,1,admin's own,true\nb,dest,x,-20,tuned b,\nc,,,,,false\n")
    table = modifiers.load_tuned(lookups_dir=lookups_dir)
    assert table.errors == []
    assert [(m.name, m.score, m.reason) for m in table.modifiers] == [
        ("a", 5, "default a"), ("b", -20, "tuned b"), ("new", 1, "admin's own")]


def test_no_overrides_file_means_the_defaults_alone_without_a_message(lookups_dir):
    write_file(lookups_dir, modifiers.MODIFIER_DEFAULTS_FILE, "a,dest,x,5,default a,true\n")
    table = modifiers.load_tuned(lookups_dir=lookups_dir)
    assert table.errors == [] and [m.name for m in table.modifiers] == ["a"]


def test_problems_in_either_file_are_reported_with_its_name(lookups_dir):
    write_file(lookups_dir, modifiers.MODIFIER_DEFAULTS_FILE, "a,dest,x,5,default a,true\n")
    write_file(lookups_dir, modifiers.MODIFIER_OVERRIDES_FILE, "a,dest,x,500,too big,true\n")
    table = modifiers.load_tuned(lookups_dir=lookups_dir)
    [error] = table.errors
    assert error.startswith(modifiers.MODIFIER_OVERRIDES_FILE + " line 2: ")
    assert [m.reason for m in table.modifiers] == ["default a"]  # a refused override leaves the default in force


def test_missing_defaults_are_an_error_because_the_package_ships_them(lookups_dir):
    table = modifiers.load_tuned(lookups_dir=lookups_dir)
    [error] = table.errors
    assert error.startswith(modifiers.MODIFIER_DEFAULTS_FILE) and "cannot be read" in error
