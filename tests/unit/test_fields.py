"""fields: the name fallbacks ngrokscore uses when the detection's tstats writes a placeholder for a name."""

import pytest

from sa_ngrok_detection.fields import is_placeholder, program_name


@pytest.mark.parametrize("value", ["", "  ", "null", "NULL", " unknown ", "-", "N/A", "n/a"])
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["bash", "nullish", "apache2", "0", "root"])
def test_names(value):
    assert not is_placeholder(value)


@pytest.mark.parametrize("command_line, name", [
    ("/usr/bin/python3 -c 'import os'", "python3"),
    ('"/opt/my app/run" --x', "run"),
    ("'/usr/bin/perl' -e x", "perl"),
    ('"unterminated/quote', "quote"),
    ("sh -c './ngrok tcp 22'", "sh"),
    ("C:\\Windows\\System32\\cmd.exe /c x", "cmd.exe"),
    ("   ", ""),
    ("", ""),
])
def test_program_name(command_line, name):
    assert program_name(command_line) == name
