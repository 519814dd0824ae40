"""Keys and clicks → view state: a plain object with no OpenCV in it, so every key can be tested without a window."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from live.errors import UsageError
from live.extractor import NORMALIZE_MODES
from live.wording import counted

ORDERS = ("index", "mean")
ESC = 27
# Keys beyond ASCII, as X11 names them and OpenCV's windows give them (cv2.waitKeyEx): the arrows, and the Page
# Down / Page Up that a presenter's remote sends for "next" and "previous".
LEFT, UP, RIGHT, DOWN, PAGE_UP, PAGE_DOWN = 0xFF51, 0xFF52, 0xFF53, 0xFF54, 0xFF55, 0xFF56
# The digit keys of a French (AZERTY) keyboard without Shift: & é " ' ( - è _ ç, and a Belgian one's § and ! for 6
# and 8. OpenCV's Qt window gives é è ç § as negative codes (Qt's upper-case letter, as a signed byte), measured
# under Xvfb with xdotool.
AZERTY_DIGITS = {0x26: 1, -0x37: 2, 0x22: 3, 0x27: 4, 0x28: 5, 0x2D: 6, -0x59: 6, -0x38: 7, 0x5F: 8, 0x21: 8, -0x39: 9}
# The same keys from OpenCV's windows on other systems (untested here): Windows gives a virtual-key code shifted
# left by 16 bits, macOS Cocoa's function-key characters.
WINDOWS_KEYS = {0x270000: RIGHT, 0x250000: LEFT, 0x280000: DOWN, 0x260000: UP, 0x220000: PAGE_DOWN, 0x210000: PAGE_UP}
MACOS_KEYS = {0xF703: RIGHT, 0xF702: LEFT, 0xF701: DOWN, 0xF700: UP, 0xF72D: PAGE_DOWN, 0xF72C: PAGE_UP}
SAME_AS = {RIGHT: ord("n"), PAGE_DOWN: ord("n"), LEFT: ord("b"), PAGE_UP: ord("b"), DOWN: ord("]"), UP: ord("["),
           **{code: ord(str(digit)) for code, digit in AZERTY_DIGITS.items()}}
SAME_AS.update({code: SAME_AS[key] for code, key in {**WINDOWS_KEYS, **MACOS_KEYS}.items()})

HELP = [
    ("n / b", "next / previous layer (or Right / Left, Page Down / Up)"),
    ("1 - 9", "stage 1-9: the first conv at each map size"),
    ("] / [", "next / previous page of channels (or Down / Up, the wheel)"),
    (". / ,", "next / previous image of a slideshow, frame when frozen"),
    ("o", "order channels: by index / by mean activation"),
    ("click", "focus a channel (click again or Esc to leave)"),
    ("c", "next colormap"),
    ("m", "normalization: channel / layer / steady / percentile"),
    ("space", "freeze / unfreeze"),
    ("s", "snapshot (window + input PNGs, activations, JSON)"),
    ("r", "start / stop recording"),
    ("v", "mirror the camera picture"),
    ("f", "fullscreen"),
    ("l", "channel labels on tiles"),
    ("t", "text over the picture: show / hide (for clean recordings)"),
    ("h", "show / hide this help"),
    ("q / Esc", "quit (Esc leaves focus, then fullscreen, first)"),
]


def key_char(key: int) -> tuple[int, str]:
    """A key code from cv2.waitKeyEx as `Controls.press` knows it, and its character ('' for F5, Shift, é, ...):
    the same key from every window toolkit and keyboard (arrows, a remote's Page Down, AZERTY digits, Caps Lock)."""
    if key > 0xFFFF and key not in SAME_AS:  # OpenCV's GTK window adds Shift, Caps Lock, Num Lock... bits
        key &= 0xFFFF
    key = SAME_AS.get(key, key)
    if ord("A") <= key <= ord("Z"):  # Caps Lock left on (OpenCV's Qt window gives lower case anyway)
        key += ord("a") - ord("A")
    return key, chr(key) if 0 <= key < 128 else ""


@dataclass
class ViewState:
    """Everything the user can change while it runs."""

    layer_index: int = 0
    page: int = 0
    order: str = "index"
    normalize: str = "channel"
    colormap: str = "gray"
    mirror: bool = False
    fullscreen: bool = False
    labels: bool = False
    focus: int | None = None  # a channel index, shown large and over the camera picture
    frozen: bool = False
    help: bool = False
    text: bool = True  # the lines over the camera picture (model, layer, FPS, ...)


@dataclass
class Controls:
    """The view state and the rules that change it; `press` and `click` return the actions for the pipeline.

    Actions: "quit", "snapshot", "record", "rank" (order by mean needs the current activations),
    "layer" (a new layer was chosen), "fullscreen", "step on" and "step back" (a slideshow's images, a frozen
    video's frames).
    """

    layer_names: list[str]
    layer_channels: list[int]
    per_page: int
    colormaps: list[str]
    state: ViewState = field(default_factory=ViewState)
    ranking: np.ndarray | None = None  # channel indices, most active first, when ordering by mean
    message: str = ""
    stage_starts: list[int] = field(default_factory=list)  # layer indices that the digit keys jump to

    def __post_init__(self):
        if self.per_page < 1:
            raise UsageError(f"--channels must be at least 1, got {self.per_page}")
        self.validate()

    def validate(self) -> None:
        """Check a state chosen on the command line, with the accepted values in the message."""
        state = self.state
        if state.normalize not in NORMALIZE_MODES:
            raise UsageError(f"unknown normalization '{state.normalize}'; choose one of {', '.join(NORMALIZE_MODES)}")
        if state.order not in ORDERS:
            raise UsageError(f"unknown order '{state.order}'; choose one of {', '.join(ORDERS)}")
        if state.colormap not in self.colormaps:
            raise UsageError(f"unknown colormap '{state.colormap}'; choose one of {', '.join(self.colormaps)}")
        if not 0 <= state.page < self.pages:
            raise UsageError(f"--page {state.page + 1} is past the last page: layer {self.layer_name} has "
                             f"{counted(self.channels, 'channel')}, {counted(self.pages, 'page')} of {self.shown}")
        if state.focus is not None and not 0 <= state.focus < self.channels:
            raise UsageError(f"--focus {state.focus} is not a channel of {self.layer_name} (0..{self.channels - 1})")
        if state.focus is not None and state.order == "index":
            state.page = state.focus // self.shown  # the page that holds the focused channel

    @property
    def layer_name(self) -> str:
        return self.layer_names[self.state.layer_index]

    @property
    def channels(self) -> int:
        return self.layer_channels[self.state.layer_index]

    @property
    def shown(self) -> int:
        """Tiles per page: `--channels`, or all the layer has when it has fewer."""
        return min(self.per_page, self.channels)

    @property
    def pages(self) -> int:
        return math.ceil(self.channels / self.shown)

    def visible_channels(self) -> np.ndarray:
        """The channel indices on the current page, in tile order."""
        order = self.ranking if self.state.order == "mean" and self.ranking is not None else np.arange(self.channels)
        start = self.state.page * self.shown
        return np.asarray(order[start:start + self.shown], np.int32)

    def press(self, key: int) -> list[str]:
        """Apply one key code (as from cv2.waitKeyEx, -1 for none); return the actions it asks for."""
        if key == -1:
            return []
        key, char = key_char(key)
        state = self.state
        if key == ESC and state.focus is not None:
            state.focus = None
            return self._say("focus off")
        if key == ESC and state.fullscreen:  # as everywhere, and a presenter's remote sends Esc with F5 (slideshow)
            state.fullscreen = False
            return ["fullscreen"] + self._say("fullscreen off (Esc again or q quits)")
        if char == "q" or key == ESC:
            return ["quit"]
        if char in "nb" and char:
            return self._go_to_layer((state.layer_index + (1 if char == "n" else -1)) % len(self.layer_names))
        if char in "123456789" and char:
            return self._go_to_stage(int(char))
        if char in "][" and char:
            state.page = (state.page + (1 if char == "]" else -1)) % self.pages
            first = self.visible_channels()
            return self._say(f"page {state.page + 1}/{self.pages}: channels {first.min()}-{first.max()}")
        if char in (".", ","):
            return ["step on" if char == "." else "step back"]
        if char == "o":
            state.order = ORDERS[(ORDERS.index(state.order) + 1) % len(ORDERS)]
            state.page = 0
            return (["rank"] if state.order == "mean" else []) + self._say(f"order: {state.order}")
        if char == "c":
            state.colormap = self.colormaps[(self.colormaps.index(state.colormap) + 1) % len(self.colormaps)]
            return self._say(f"colormap: {state.colormap}")
        if char == "m":
            state.normalize = NORMALIZE_MODES[(NORMALIZE_MODES.index(state.normalize) + 1) % len(NORMALIZE_MODES)]
            return self._say(f"normalization: {state.normalize}")
        if char == " ":
            state.frozen = not state.frozen
            return ["freeze"] + self._say("frozen" if state.frozen else "live")
        if char == "s":
            return ["snapshot"]
        if char == "r":
            return ["record"]
        if char == "v":
            state.mirror = not state.mirror
            return self._say(f"mirror {'on' if state.mirror else 'off'}")
        if char == "f":
            state.fullscreen = not state.fullscreen
            return ["fullscreen"] + self._say(f"fullscreen {'on' if state.fullscreen else 'off'}")
        if char == "l":
            state.labels = not state.labels
            return self._say(f"channel labels {'on' if state.labels else 'off'}")
        if char == "t":
            state.text = not state.text
            return self._say(f"text {'on' if state.text else 'off'}")
        if char == "h":
            state.help = not state.help
            return []
        return []

    def _go_to_layer(self, index: int) -> list[str]:
        state = self.state
        state.layer_index = index
        state.page, state.focus, self.ranking = 0, None, None
        actions = ["layer"] + (["rank"] if state.order == "mean" else [])
        return actions + self._say(f"layer {self.layer_name} ({counted(self.channels, 'channel')})")

    def _go_to_stage(self, number: int) -> list[str]:
        """Digit keys: stage 1 is the first convolution, each later one the first at a smaller map size (letters
        cannot be used with Shift: OpenCV's Qt window reports N as n)."""
        count = len(self.stage_starts)
        if count == 0:
            return self._say("no stages: this model leaves its map sizes open")
        if number > count:
            return self._say(f"no stage {number}: this model has stages 1-{count}")
        return self._go_to_layer(self.stage_starts[number - 1])

    def click(self, tile: int | None) -> list[str]:
        """A left click on tile `tile` of the mosaic (None: outside any tile); focus, or leave focus."""
        if self.state.focus is not None:
            self.state.focus = None
            return self._say("focus off")
        channels = self.visible_channels()
        if tile is None or tile >= len(channels):
            return []
        self.state.focus = int(channels[tile])
        return self._say(f"focus: channel {self.state.focus}")

    def set_ranking(self, means: np.ndarray) -> None:
        """Order the layer's channels by mean activation, most active first (NaN last)."""
        means = np.nan_to_num(np.asarray(means, np.float64), nan=-np.inf)
        self.ranking = np.argsort(-means, kind="stable").astype(np.int32)

    def _say(self, text: str) -> list[str]:
        self.message = text
        return ["message"]
