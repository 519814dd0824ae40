"""While the model loads: the keys the loading card takes. The card in a real window: tests/test_window.py."""

import pytest

from live.controls import ESC
from live.starting import loading_key


@pytest.mark.parametrize("key, fullscreen, action", [
    (ord("q"), False, "quit"),
    (ord("Q"), False, "quit"),  # Caps Lock left on
    (ord("q") | 0x100000, False, "quit"),  # OpenCV's GTK window adds the modifiers' bits
    (ESC, False, "quit"),
    (ESC, True, "fullscreen"),  # leaves fullscreen first, as once it runs: a presenter's remote sends Esc
    (ord("q"), True, "quit"),
    (ord("f"), False, "fullscreen"),
    (ord("f"), True, "fullscreen"),
    (ord("n"), False, None),  # the other keys wait for the model
    (-1, False, None),
])
def test_keys_while_the_model_loads(key, fullscreen, action):
    assert loading_key(key, fullscreen) == action
