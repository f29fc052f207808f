"""Fixtures of the alert action tests (defined in receiver_stand_in.py)."""

from receiver_stand_in import payload, run_action, stand_in  # noqa: F401
