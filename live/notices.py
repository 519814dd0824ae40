"""The program's warnings said on the window as well as on the terminal: a presenter on stage looks at the
window, not at the terminal behind it, where a snapshot folder that cannot be written, a video cut short or a
camera other than the one expected was said at the start."""

from __future__ import annotations

import logging
from collections import deque

WORDS_PER_SECOND = 3.0  # reading speed while presenting: slower than reading alone
SHOWN_SECONDS = (4.0, 15.0)  # the least and the most one notice is shown
KEPT = 8  # the most waiting at once: a headless run shows none, a long run collects no more
ON_WINDOW = {"on_window": True}  # `extra` of a record that its own code already shows on the window


class Notices(logging.Handler):
    """The warnings of the loggers `live` and `models`, in the order they came, each once, for the window to
    show one after the other. Collected from `with Notices() as notices:` on, from every thread."""

    def __init__(self, loggers: tuple[str, ...] = ("live", "models")):
        super().__init__(logging.WARNING)
        self.loggers = [logging.getLogger(name) for name in loggers]
        self._waiting: deque[str] = deque(maxlen=KEPT)
        self._said: set[str] = set()

    def __enter__(self) -> Notices:
        for logger in self.loggers:
            logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for logger in self.loggers:
            logger.removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "on_window", False):
            return
        text = record.getMessage()
        if text not in self._said:  # a slideshow looping over an image it skips says so once
            self._said.add(text)
            self._waiting.append(text)

    def take(self) -> str:
        """The next notice to show, or "" when none waits."""
        try:
            return self._waiting.popleft()
        except IndexError:
            return ""


def reading_seconds(text: str) -> float:
    """How long a notice stays: long enough to read its words, at least SHOWN_SECONDS[0], at most [1]."""
    low, high = SHOWN_SECONDS
    return min(max(len(text.split()) / WORDS_PER_SECOND, low), high)
