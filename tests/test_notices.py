"""Warnings kept for the window: the program's own, each once, in order, while collected."""

import logging

from live.notices import KEPT, ON_WINDOW, Notices, reading_seconds


def taken(notices: Notices) -> list[str]:
    texts = []
    while text := notices.take():
        texts.append(text)
    return texts


def test_the_program_s_warnings_are_kept_in_order_each_once():
    with Notices() as notices:
        logging.getLogger("live.sources").warning("'%s' is cut short", "talk.mp4")
        logging.getLogger("models.loading").warning("runs at 256x256")
        logging.getLogger("live").warning("--snapshot-dir: a file")
        logging.getLogger("live.sources").warning("'%s' is cut short", "talk.mp4")  # a slideshow's next loop
    assert taken(notices) == ["'talk.mp4' is cut short", "runs at 256x256", "--snapshot-dir: a file"]


def test_what_is_not_a_warning_of_the_program_or_is_on_the_window_already_is_left_out():
    with Notices() as notices:
        logging.getLogger("live.sources").info("opened video talk.mp4")
        logging.getLogger("tensorflow").warning("5 out of the last 5 calls triggered retracing")
        logging.getLogger("livestock").warning("another program's logger")
        logging.getLogger("live.pipeline").warning("the camera's picture is black", extra=ON_WINDOW)
        logging.getLogger("live.pipeline").error("writing failed")
    logging.getLogger("live.sources").warning("said after the run")
    assert taken(notices) == ["writing failed"]


def test_only_the_latest_are_kept_where_nothing_shows_them():
    with Notices() as notices:
        for i in range(KEPT + 5):
            logging.getLogger("live.sources").warning("skipping image %d", i)
    assert taken(notices) == [f"skipping image {i}" for i in range(5, KEPT + 5)]


def test_a_notice_shows_long_enough_to_be_read_and_no_longer_than_a_moment_on_stage():
    assert reading_seconds("snapshot folder missing") == 4.0
    assert reading_seconds(" ".join(["word"] * 30)) == 10.0
    assert reading_seconds(" ".join(["word"] * 100)) == 15.0
