"""Counts in the program's sentences."""

from live.wording import counted


def test_one_of_a_thing_is_singular_and_every_other_count_plural():
    assert counted(1, "channel") == "1 channel"
    assert counted(64, "channel") == "64 channels"
    assert counted(0, "frame") == "0 frames"
    assert counted(1, "feature layer") == "1 feature layer"
