"""The persisted allowlist index: reused when intact and safe, ignored otherwise, never needed for a decision."""

import datetime
import os

import pytest

from sa_ngrok_detection import allowlist, index_cache

HEADER = "dest,user,parent_process_name,process,reason,owner,expires\n"
TODAY = datetime.date(2026, 11, 27)


@pytest.fixture
def cache_dir(tmp_path):
    path = tmp_path / "cache"
    path.mkdir(mode=0o700)
    return str(path)


def write(lookups_dir, body, name="allow.csv"):
    with open(os.path.join(lookups_dir, name), "w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER + body)


def only_file(folder):
    [name] = os.listdir(folder)
    return os.path.join(folder, name)


def test_round_trip(cache_dir):
    data = ({"a": ((1, 2), "x")}, [1, 2], "text")
    assert index_cache.write("k1", data, cache_dir) is True
    assert index_cache.read("k1", cache_dir) == data
    assert index_cache.read("other", cache_dir) is None


def test_the_second_load_uses_the_cache_and_decides_the_same(lookups_dir, cache_dir, monkeypatch):
    write(lookups_dir, "web-*,,,,web,,\nh1,,,,old,,2020-01-01\n*,,,,bad,,\n")
    first = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert len(os.listdir(cache_dir)) == 1

    def no_parsing(*args):
        raise AssertionError("parsed again although the cache holds this content")

    monkeypatch.setattr(allowlist, "parse", no_parsing)
    second = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert (second.errors, second.warnings) == (first.errors, first.warnings) and len(second.errors) == 1
    assert second.match(lambda field: ["web-7"] if field == "dest" else []).reason == "web"


@pytest.mark.parametrize("change", ["content", "day", "name"])
def test_the_key_follows_content_day_and_file_name(lookups_dir, cache_dir, change):
    write(lookups_dir, "web-*,,,,web,,\n")
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    name, today = "allow.csv", TODAY
    if change == "content":
        write(lookups_dir, "web-*,,,,web (changed),,\n")
    elif change == "day":
        today = TODAY + datetime.timedelta(days=1)
    else:
        name = "copy.csv"
        write(lookups_dir, "web-*,,,,web,,\n", name)
    table = allowlist.load(name, today=today, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert len(os.listdir(cache_dir)) == 2
    assert table.match(lambda field: ["web-7"] if field == "dest" else []).reason.startswith("web")


def test_expiry_is_decided_for_the_day_of_the_search(lookups_dir, cache_dir):
    write(lookups_dir, "web-*,,,,web,,2026-11-27\n")
    assert len(allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)) == 1
    later = allowlist.load("allow.csv", today=TODAY + datetime.timedelta(days=1), lookups_dir=lookups_dir,
                           cache_dir=cache_dir)
    assert len(later) == 0 and later.expired_lines == [2]


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "other magic"])
def test_a_damaged_cache_file_is_ignored(lookups_dir, cache_dir, damage):
    write(lookups_dir, "web-*,,,,web,,\n")
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    path = only_file(cache_dir)
    with open(path, "rb") as handle:
        blob = bytearray(handle.read())
    if damage == "flip a byte":
        blob[-3] ^= 0x20
    elif damage == "truncate":
        blob = blob[:len(blob) // 2]
    elif damage == "empty":
        blob = bytearray()
    else:
        blob[:8] = b"XXXXXXXX"
    with open(path, "wb") as handle:
        handle.write(bytes(blob))
    assert index_cache.read(os.path.basename(path), cache_dir) is None
    table = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert table.match(lambda field: ["web-7"] if field == "dest" else []).reason == "web"


def test_a_folder_others_can_write_to_is_not_used(lookups_dir, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o777)
    assert index_cache.write("k", (1,), str(shared)) is False
    assert os.listdir(str(shared)) == []
    write(lookups_dir, "web-*,,,,web,,\n")
    table = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=str(shared))
    assert len(table) == 1 and os.listdir(str(shared)) == []


def test_a_symlinked_cache_file_is_not_followed(cache_dir, tmp_path):
    index_cache.write("real", ("data",), cache_dir)
    os.symlink(os.path.join(cache_dir, "real"), os.path.join(cache_dir, "link"))
    assert index_cache.read("link", cache_dir) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_cache_file_owned_by_someone_else_is_not_used(cache_dir):
    index_cache.write("k", ("data",), cache_dir)
    os.chown(os.path.join(cache_dir, "k"), 65534, 65534)
    assert index_cache.read("k", cache_dir) is None


def test_no_usable_folder_means_no_cache_not_an_error(lookups_dir, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    write(lookups_dir, "web-*,,,,web,,\n")
    table = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=str(blocker / "cache"))
    assert table.errors == [] and len(table) == 1


def test_default_folder_is_splunks_runtime_folder_else_a_private_temporary_one(monkeypatch, tmp_path):
    monkeypatch.setenv("SPLUNK_HOME", str(tmp_path / "splunk"))
    assert index_cache.default_directory() == str(tmp_path / "splunk" / "var" / "run" / "SA-ngrok-detection"
                                                  / "index-cache")
    monkeypatch.delenv("SPLUNK_HOME")
    folder = index_cache.default_directory()
    assert folder.endswith(os.path.join("SA-ngrok-detection-%d" % os.geteuid(), "index-cache"))


def test_old_cache_files_are_removed_when_a_new_one_is_written(cache_dir):
    index_cache.write("old", (1,), cache_dir)
    os.utime(os.path.join(cache_dir, "old"), (0, 0))
    index_cache.write("recent", (2,), cache_dir)
    index_cache.write("new", (3,), cache_dir)
    assert sorted(os.listdir(cache_dir)) == ["new", "recent"]


def notes(folder):
    return [name for name in os.listdir(folder) if name.startswith("stat-")]


def test_a_settled_file_is_found_by_its_stat_note_without_reading_or_hashing_it(lookups_dir, cache_dir, monkeypatch):
    monkeypatch.setattr(index_cache, "_SETTLED_NS", 0)  # as if the file had been written minutes ago
    write(lookups_dir, "web-*,,,,web,,\nh1,,,,old,,2020-01-01\n")
    first = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert len(notes(cache_dir)) == 1

    def never(*args, **kwargs):
        raise AssertionError("the file was read or hashed although its stat note is valid")

    monkeypatch.setattr(allowlist, "read_file", never)
    monkeypatch.setattr(index_cache, "key", never)
    second = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert (second.errors, second.warnings, len(second)) == (first.errors, first.warnings, 1)
    assert second.match(lambda field: ["web-7"] if field == "dest" else []).reason == "web"


def test_a_changed_file_does_not_use_its_old_stat_note(lookups_dir, cache_dir, monkeypatch):
    monkeypatch.setattr(index_cache, "_SETTLED_NS", 0)
    write(lookups_dir, "web-*,,,,web,,\n")
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    write(lookups_dir, "lab-*,,,,lab entry,,\n")  # another size: a new identity even within one clock tick
    table = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert table.match(lambda field: ["lab-1"] if field == "dest" else []).reason == "lab entry"
    assert table.match(lambda field: ["web-1"] if field == "dest" else []) is None
    later = allowlist.load("allow.csv", today=TODAY + datetime.timedelta(days=1), lookups_dir=lookups_dir,
                           cache_dir=cache_dir)
    assert later.match(lambda field: ["lab-1"] if field == "dest" else []).reason == "lab entry"


def test_no_stat_note_for_a_file_written_moments_ago(lookups_dir, cache_dir):
    # Its times could still share a clock tick with the next write (racy-stat): such a file is hashed every time.
    write(lookups_dir, "web-*,,,,web,,\n")
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert notes(cache_dir) == [] and len(os.listdir(cache_dir)) == 1


def test_a_stat_note_for_other_content_is_not_trusted_blindly(lookups_dir, cache_dir, monkeypatch):
    monkeypatch.setattr(index_cache, "_SETTLED_NS", 0)
    write(lookups_dir, "web-*,,,,web,,\n")
    allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    [note] = notes(cache_dir)
    stored = index_cache.read(note, cache_dir)
    index_cache.write(note, (stored[0], "no-such-index"), cache_dir)  # a note pointing nowhere: parse again
    table = allowlist.load("allow.csv", today=TODAY, lookups_dir=lookups_dir, cache_dir=cache_dir)
    assert table.match(lambda field: ["web-7"] if field == "dest" else []).reason == "web"
    index_cache.write(note, (b"another file's identity", stored[1]), cache_dir)  # a name collision: ignored
    identity, _ = index_cache.identity(os.path.join(lookups_dir, "allow.csv"))
    assert index_cache.read_note("allowlist", os.path.join(lookups_dir, "allow.csv"), identity,
                                 TODAY.isoformat(), cache_dir) is None
