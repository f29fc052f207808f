"""The command pauses Python's cycle collector while it scores a chunk (command._garbage_collection_paused): the
collector must be on again afterwards, also when scoring raises, and a pause the caller made is kept."""

import gc
import os
import sys

import pytest

import sa_ngrok_detection

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(sa_ngrok_detection.__file__)), "lib"))  # splunklib
from sa_ngrok_detection import command  # noqa: E402


def test_the_collector_is_paused_inside_and_on_again_after():
    assert gc.isenabled()
    with command._garbage_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_when_scoring_raises():
    with pytest.raises(ValueError):
        with command._garbage_collection_paused():
            raise ValueError("a bug in scoring")
    assert gc.isenabled()


def test_a_pause_the_caller_made_is_kept():
    gc.disable()
    try:
        with command._garbage_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
