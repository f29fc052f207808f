"""Every input the coverage-guided fuzzer (scripts/fuzz.py) ever flagged, replayed through its target, plus seeds:
a finding, once fixed, stays fixed."""

import glob
import os

import pytest

import fuzz_targets

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_regressions")
FINDINGS = sorted(glob.glob(os.path.join(FOLDER, "*-*")))
SEEDS = {
    "cmdline": [b"ngrok tcp 22", b"sudo -u www /tmp/.x tcp 22; rm x", b"sh -c \"ngrok http 80\"", b"\xff\xfe", b""],
    "redact": [b"a\x01Abcdefghijkl123\x01z", b"\x01HHHHHHHHHHHHH\x01HHHHHHH\x01HHHHHHH\x01", b"--authtoken \"x"],
    "render": [b"$a$ $b $$ $c.d$\x01$x$", b"\x01", b"$$$$"],
    "allowlist": [b",,,,r,,\n*,*,*,*,r,,\nh,,,,r,,2099-13-40\n\"open", b"\x00", b"\xff\n",
                  b"* *,* *,* *,* *,r,,\n**, * ,,*\t*,r,,\nh1,,,* *,kept,,\n", b"h1,,,,r,,\rh2,,,,r,,\r",
                  "\u212aali-*,\u0130,,,look-alikes,,\n".encode("utf-8")],
    "modifiers": [b"m,dest,x,5,r,true\nm,dest,x,500,r,true\n", b"a,b\n", b"\"\n"],
    "options": [b"101\x01-1\x01\x01maybe\x01../x.csv\x01keep\x012", b"50\x01100"],
    "risk_events": ['svc" risk_score=0 risk_object=ceo-laptop x="\x01a\\\x01\u6771\x01\x01--authtoken x\\"\x01'
                    '\n==##~~##~~  1E8N3D4E6V5E7N2T9 ~~##~~##==\n'.encode("utf-8"), b"null\x01-", b"\xed\xa0\x80"],
}


@pytest.mark.parametrize("path", FINDINGS, ids=[os.path.basename(path) for path in FINDINGS])
def test_fuzzer_findings_stay_fixed(path):
    target = os.path.basename(path).split("-", 1)[0]
    with open(path, "rb") as handle:
        fuzz_targets.TARGETS[target](handle.read())


@pytest.mark.parametrize("target, seed", [(name, seed) for name, seeds in SEEDS.items() for seed in seeds])
def test_targets_hold_on_their_seeds(target, seed):
    fuzz_targets.TARGETS[target](seed)


def test_the_risk_events_oracle_can_fail():
    """The oracle is sound: a writer that escaped quotes with a backslash (the old one) would be caught."""
    from sa_ngrok_detection import risk_events
    original = risk_events.clean
    risk_events.clean = lambda text: text.replace("\\", "\\\\").replace('"', '\\"')
    try:
        with pytest.raises(AssertionError):
            fuzz_targets.risk_events(b'svc" risk_score=0 x="\x01u')
    finally:
        risk_events.clean = original


def test_the_redaction_oracle_can_fail():
    """The oracle itself is sound: a redactor that masked nothing would be caught."""
    from sa_ngrok_detection import redaction
    original = redaction.redact
    redaction.redact = lambda text: text
    try:
        with pytest.raises(AssertionError):
            fuzz_targets.redact(b"a\x01Abcdefghijkl123\x01z")
    finally:
        redaction.redact = original


def test_campaign_finding_a_secret_in_the_value_after_a_v2_authtoken_verb():
    """Found by the long Hypothesis campaign: process values ["AUTHTOKEN", "0"] are one command line split in two."""
    from sa_ngrok_detection.redaction import MASK, redact_values
    assert redact_values(["AUTHTOKEN", "0"]) == ["AUTHTOKEN", MASK]
