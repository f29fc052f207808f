"""The command-line parser and the redactor as they were before the fast paths of issue 9 item 6 (commit c5e1a4c):
every word visited by a Python step. test_cmdline_equivalence.py compares the app's modules with these.

One later change is applied here too, so that both still decide alike: redact's quick exit for texts without a
secret keyword also looks past quotes, escapes and continuations (``--a\\uthtoken X`` masks X).
"""
