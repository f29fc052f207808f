"""Unit tests for sa_ngrok_detection.lookup_files: is_plain_csv_name(), parse_bool(), read_rows()."""

import pytest

from sa_ngrok_detection.lookup_files import ADMIN_FILES, Problem, is_plain_csv_name, parse_bool, read_rows

COLUMNS = ("dest", "user", "reason")


def write(tmp_path, name, data):
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return name


def rows(tmp_path, name, columns=COLUMNS):
    return list(read_rows(name, columns, lookups_dir=str(tmp_path)))


# ----------------------------------------------------------------------------------------- is_plain_csv_name


@pytest.mark.parametrize(
    "name",
    ["x.csv", "ngrok_allowlist.csv", "a-b_c.1.csv", "A1.csv", "a.csv.csv", "9.csv", "a" * 201 + ".csv", "x.CSV"],
)
def test_plain_csv_names(name):
    assert is_plain_csv_name(name) is True


@pytest.mark.parametrize(
    "name",
    [
        "", ".csv", "x", "x.txt", "x.csv.txt", "../x.csv", "..csv", "x..csv", "a..b.csv", "/etc/passwd",
        "/tmp/x.csv", "sub/x.csv", "sub\\x.csv", ".hidden.csv", "-x.csv", "_x.csv", "a b.csv", "é.csv",
        "x.csv ", " x.csv", "x.csv/", "a" * 202 + ".csv",
    ],
)
def test_not_plain_csv_names(name):
    assert is_plain_csv_name(name) is False


def test_trailing_newline_is_not_a_plain_csv_name():
    assert is_plain_csv_name("x.csv\n") is False


# ------------------------------------------------------------------------------------------------ parse_bool


@pytest.mark.parametrize(
    "text, value",
    [
        ("1", True), ("t", True), ("T", True), ("true", True), ("TRUE", True), ("True", True), ("y", True),
        ("yes", True), ("YES", True), ("on", True), ("On", True), (" true\n", True),
        ("0", False), ("f", False), ("F", False), ("false", False), ("FALSE", False), ("n", False),
        ("no", False), ("No", False), ("off", False), ("OFF", False), ("\tfalse ", False),
    ],
)
def test_parse_bool_spellings(text, value):
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["", " ", "2", "-1", "maybe", "tru", "yess", "enabled", "none", "null", "1.0"])
def test_parse_bool_unknown_is_none(text):
    assert parse_bool(text) is None


# ------------------------------------------------------------------------------------------------- read_rows


def test_reads_rows_with_line_numbers(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\nh1,root,ok\nh2,bob,fine\n")
    assert rows(tmp_path, name) == [
        (2, {"dest": "h1", "user": "root", "reason": "ok"}),
        (3, {"dest": "h2", "user": "bob", "reason": "fine"}),
    ]


def test_header_is_trimmed_and_lowercased_extra_columns_kept(tmp_path):
    name = write(tmp_path, "a.csv", " Dest ,USER,Reason,Owner\nh1,root,ok,sec\n")
    assert rows(tmp_path, name) == [(2, {"dest": "h1", "user": "root", "reason": "ok", "owner": "sec"})]


def test_values_are_not_trimmed(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\n h1 ,root,\n")
    assert rows(tmp_path, name) == [(2, {"dest": " h1 ", "user": "root", "reason": ""})]


def test_crlf_line_endings(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\r\nh1,root,ok\r\n")
    assert rows(tmp_path, name) == [(2, {"dest": "h1", "user": "root", "reason": "ok"})]


def test_header_only_file_has_no_rows(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason")
    assert rows(tmp_path, name) == []


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(Problem) as caught:
        rows(tmp_path, "nope.csv")
    assert str(caught.value) == "nope.csv: cannot be read from the app's lookups folder (No such file or directory)"


@pytest.mark.parametrize("name", ["ngrok_allowlist.csv", "ngrok_risk_modifiers.csv"])
def test_an_absent_admin_file_reads_as_no_rows_but_an_empty_one_is_still_a_problem(tmp_path, name):
    """The admin's files are never shipped: absent means no entries yet. A file that exists but is empty (a broken
    write, for example) still says so, because entries the admin made may be gone."""
    assert name in ADMIN_FILES
    assert rows(tmp_path, name) == []
    write(tmp_path, name, b"")
    with pytest.raises(Problem, match="the file is empty"):
        rows(tmp_path, name)


def test_empty_file(tmp_path):
    name = write(tmp_path, "empty.csv", b"")
    with pytest.raises(Problem) as caught:
        rows(tmp_path, name)
    assert str(caught.value) == "empty.csv: the file is empty; expected a header line with dest, user, reason"


def test_header_missing_a_required_column(tmp_path):
    name = write(tmp_path, "a.csv", "dest,reason\nh1,ok\n")
    with pytest.raises(Problem) as caught:
        rows(tmp_path, name)
    message = str(caught.value)
    assert message == "a.csv line 1: the header lacks column(s) user"
    assert "line 1" in message and "user" in message


def test_header_missing_several_columns_lists_them_in_order(tmp_path):
    name = write(tmp_path, "a.csv", "other\nx\n")
    with pytest.raises(Problem, match=r"^a\.csv line 1: the header lacks column\(s\) dest, user, reason$"):
        rows(tmp_path, name)


def test_problem_is_raised_lazily_by_the_generator(tmp_path):
    generator = read_rows("nope.csv", COLUMNS, lookups_dir=str(tmp_path))
    with pytest.raises(Problem):
        next(generator)


def test_wrong_field_count_is_yielded_with_the_problem(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\nh1,root\nh2,bob,ok,extra\nh3,eve,fine\n")
    assert rows(tmp_path, name) == [
        (2, {"dest": "h1", "user": "root", None: "has 2 fields where the header has 3"}),
        (3, {"dest": "h2", "user": "bob", "reason": "ok", None: "has 4 fields where the header has 3"}),
        (4, {"dest": "h3", "user": "eve", "reason": "fine"}),
    ]


def test_utf8_bom_header(tmp_path):
    name = write(tmp_path, "bom.csv", b"\xef\xbb\xbfdest,user,reason\nh1,root,ok\n")
    assert rows(tmp_path, name) == [(2, {"dest": "h1", "user": "root", "reason": "ok"})]


def test_utf8_values(tmp_path):
    name = write(tmp_path, "u.csv", "dest,user,reason\nhôte-1,jürgen,日本\n")
    assert rows(tmp_path, name) == [(2, {"dest": "hôte-1", "user": "jürgen", "reason": "日本"})]


def test_blank_lines_are_skipped_and_line_numbers_kept(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\n\nh1,root,ok\n   \n\t\nh2,bob,fine\n\n")
    assert rows(tmp_path, name) == [
        (3, {"dest": "h1", "user": "root", "reason": "ok"}),
        (6, {"dest": "h2", "user": "bob", "reason": "fine"}),
    ]


def test_a_row_of_empty_fields_is_not_blank(tmp_path):
    name = write(tmp_path, "a.csv", "dest,user,reason\n,,\n")
    assert rows(tmp_path, name) == [(2, {"dest": "", "user": "", "reason": ""})]


def test_quoted_fields(tmp_path):
    name = write(tmp_path, "a.csv", 'dest,user,reason\n"h1, h2","a ""b""",ok\n')
    assert rows(tmp_path, name) == [(2, {"dest": "h1, h2", "user": 'a "b"', "reason": "ok"})]


@pytest.mark.parametrize(
    "data, line",
    [(b"dest,user,reason\nh1,root,ok\n\xff\xfe,x,y\n", 3), (b"\xffdest,user,reason\n", 1),
     (b"dest,user,reason\nh\xc3(,x,y\n", 2), (b"dest,user,reason\n" + b"h,u,r\n" * 5000 + b"\xff,x,y\n", 5002)],
    ids=["bad-row", "bad-header", "bad-continuation", "late-in-a-long-file"],
)
def test_invalid_utf8_is_reported_on_its_own_line(tmp_path, data, line):
    name = write(tmp_path, "bad.csv", data)
    found = []
    with pytest.raises(Problem) as caught:
        for item in read_rows(name, ("dest",), str(tmp_path)):
            found.append(item)
    assert str(caught.value) == ("bad.csv line %d: not valid UTF-8 text; this line and the rest of the file were "
                                 "not read" % line)
    assert len(found) == max(0, line - 2)  # every valid row before it was read


def test_unterminated_quote_names_the_line(tmp_path):
    name = write(tmp_path, "q.csv", 'dest,user,reason\nh1,root,ok\nh2,"bob,fine\n')
    seen = []
    with pytest.raises(Problem) as caught:
        for row in read_rows(name, COLUMNS, lookups_dir=str(tmp_path)):
            seen.append(row)
    assert seen == [(2, {"dest": "h1", "user": "root", "reason": "ok"})]
    message = str(caught.value)
    assert message.startswith("q.csv line 3: malformed CSV (")
    assert message.endswith("); this line and the rest of the file were not read")


def test_text_after_closing_quote_is_malformed(tmp_path):
    name = write(tmp_path, "q.csv", 'dest,user,reason\nh1,"root"x,ok\nh2,bob,fine\n')
    with pytest.raises(Problem, match=r"^q\.csv line 2: malformed CSV \("):
        rows(tmp_path, name)


@pytest.mark.parametrize(
    "data, line, rows_before",
    [
        (b"dest,user,reason\nh1,root,ok\nh\x002,bob,fine\nh3,eve,ok\n", 3,
         [(2, {"dest": "h1", "user": "root", "reason": "ok"})]),
        (b"dest,us\x00er,reason\nh1,root,ok\n", 1, []),
        (b"dest,user,reason\nh1,root,ok\n\x00\n", 3, [(2, {"dest": "h1", "user": "root", "reason": "ok"})]),
    ],
    ids=["in-row", "in-header", "alone"],
)
def test_nul_byte_is_a_problem_naming_the_line(tmp_path, data, line, rows_before):
    # The same on every Python: 3.9's csv refuses NUL, 3.11's would keep it inside the value.
    name = write(tmp_path, "n.csv", data)
    seen = []
    with pytest.raises(Problem) as caught:
        for row in read_rows(name, COLUMNS, lookups_dir=str(tmp_path)):
            seen.append(row)
    assert seen == rows_before
    assert str(caught.value) == (
        "n.csv line %d: malformed CSV (NUL character); this line and the rest of the file were not read" % line
    )
