"""Every key and click on the plain controls object, with no window."""

import numpy as np
import pytest

from live.controls import DOWN, ESC, LEFT, PAGE_DOWN, PAGE_UP, RIGHT, UP, Controls, ViewState
from live.errors import UsageError


def make(**state) -> Controls:
    return Controls(["block1_conv1", "block3_conv3", "block5_pool"], [64, 256, 512], 64,
                    ["gray", "jet", "viridis"], ViewState(**state))


def press(controls: Controls, keys: str) -> list[str]:
    actions = []
    for key in keys:
        actions += controls.press(ord(key))
    return actions


def test_n_and_b_switch_layers_and_wrap():
    controls = make()
    assert "layer" in press(controls, "n") and controls.layer_name == "block3_conv3"
    press(controls, "nn")
    assert controls.layer_name == "block1_conv1"  # wrapped around
    press(controls, "b")
    assert controls.layer_name == "block5_pool"
    assert "block5_pool (512 channels)" in controls.message


def test_arrows_and_a_presenters_remote_step_through_layers_and_pages():
    """A remote sends Page Down / Page Up for next / previous; the arrows do the same, and Down / Up turn pages.
    Other keys beyond ASCII do nothing: Insert and Redo (X11 0xFF63, 0xFF66) end in the codes of c and f."""
    controls = make()
    assert "layer" in controls.press(PAGE_DOWN) and controls.layer_name == "block3_conv3"
    controls.press(RIGHT)
    assert controls.layer_name == "block5_pool"
    controls.press(PAGE_UP)
    controls.press(LEFT)
    assert controls.layer_name == "block1_conv1"
    controls.press(RIGHT)
    controls.press(DOWN)
    assert controls.state.page == 1 and controls.message == "page 2/4: channels 64-127"
    controls.press(UP)
    assert controls.state.page == 0
    before = (controls.state.layer_index, controls.state.page, controls.state.colormap, controls.state.fullscreen)
    for key in (0xFF63, 0xFF66, 0xFFC2, 0xFFE1):  # Insert, Redo, F5, Shift
        assert controls.press(key) == []
    assert (controls.state.layer_index, controls.state.page, controls.state.colormap,
            controls.state.fullscreen) == before


def test_keys_from_other_systems_and_with_caps_or_num_lock_do_the_same():
    """OpenCV's windows on Windows and macOS give the arrows and Page Down / Up other codes than X11's, its GTK
    window adds a bit for Num Lock, and Caps Lock gives upper-case letters on all but Qt: a presenter's remote,
    and every letter key with Caps Lock on, did nothing there. (The codes are OpenCV's documented ones; only the
    Qt window runs here.)"""
    codes = [(PAGE_DOWN, 0x220000, 0xF72D, 0x10FF56), (PAGE_UP, 0x210000, 0xF72C, 0x10FF55),
             (RIGHT, 0x270000, 0xF703, 0x10FF53), (LEFT, 0x250000, 0xF702, 0x10FF51),
             (DOWN, 0x280000, 0xF701, 0x10FF54), (UP, 0x260000, 0xF700, 0x10FF52)]
    for x11, windows, macos, gtk_num_lock in codes:
        expected = make()
        expected.press(x11)
        for code in (windows, macos, gtk_num_lock):
            controls = make()
            controls.press(code)
            assert controls.state == expected.state and controls.message == expected.message, hex(code)
    controls = make()
    assert "layer" in controls.press(ord("N")) and controls.layer_name == "block3_conv3"  # Caps Lock on
    assert controls.press(ord("Q")) == ["quit"] and controls.press(0x100071) == ["quit"]  # q with Num Lock, on GTK
    assert controls.press(0x740000) == []  # F5 on Windows: nothing, as on X11


def test_digits_jump_to_stages():
    controls = Controls([f"layer{i}" for i in range(8)], [8] * 8, 64, ["gray"], ViewState(layer_index=2),
                        stage_starts=[0, 3, 6])
    assert "layer" in press(controls, "3") and controls.layer_name == "layer6"
    press(controls, "1")
    assert controls.layer_name == "layer0" and "layer0 (8 channels)" in controls.message
    assert press(controls, "4") == ["message"] and controls.layer_name == "layer0"
    assert controls.message == "no stage 4: this model has stages 1-3"
    unknown = make()  # no stages given, as for a model whose map sizes are left open
    assert press(unknown, "2") == ["message"] and unknown.layer_name == "block1_conv1"
    assert unknown.message == "no stages: this model leaves its map sizes open"


def test_the_digit_keys_of_a_french_keyboard_jump_to_stages_without_shift():
    """On AZERTY the digit keys give & é " ' ( - è _ ç unless Shift is held: a French presenter's 2 did nothing.
    The codes are those OpenCV's Qt window gives (é, è, ç and the Belgian § as negative codes)."""
    controls = Controls([f"layer{i}" for i in range(10)], [8] * 10, 64, ["gray"], ViewState(),
                        stage_starts=list(range(10)))
    for code, stage in ((0x26, 1), (-0x37, 2), (0x22, 3), (0x27, 4), (0x28, 5), (0x2D, 6), (-0x59, 6), (-0x38, 7),
                        (0x5F, 8), (0x21, 8), (-0x39, 9)):
        assert "layer" in controls.press(code) and controls.layer_name == f"layer{stage - 1}", hex(code)
    assert controls.press(-0x40) == [] and controls.press(-1) == []  # à (0): no stage 0; -1: no key at all


def test_pages_of_channels():
    controls = make(layer_index=1)
    assert controls.pages == 4
    press(controls, "]")
    assert controls.visible_channels().tolist() == list(range(64, 128))
    assert controls.message == "page 2/4: channels 64-127"
    press(controls, "[[")
    assert controls.state.page == 3  # wraps to the last page
    press(controls, "n")
    assert controls.state.page == 0  # a new layer starts on its first page


def test_order_by_mean_asks_for_a_ranking_and_uses_it():
    controls = make(layer_index=1)
    assert "rank" in press(controls, "o") and controls.state.order == "mean"
    means = np.arange(256, dtype=float)
    controls.set_ranking(means)
    assert controls.visible_channels()[:3].tolist() == [255, 254, 253]
    press(controls, "o")
    assert controls.visible_channels()[:3].tolist() == [0, 1, 2]


def test_ranking_puts_nan_last():
    controls = make()
    means = np.ones(64)
    means[0] = np.nan
    means[5] = 9
    controls.set_ranking(means)
    assert controls.ranking[0] == 5 and controls.ranking[-1] == 0


def test_click_focuses_the_channel_under_the_pointer_and_again_leaves():
    controls = make(layer_index=1, page=1)
    controls.click(3)
    assert controls.state.focus == 67
    controls.click(5)
    assert controls.state.focus is None
    controls.click(None)
    assert controls.state.focus is None


def test_esc_leaves_focus_first_then_quits():
    controls = make(focus=4)
    assert controls.press(ESC) == ["message"] and controls.state.focus is None
    assert controls.press(ESC) == ["quit"]
    assert press(make(), "q") == ["quit"]


def test_esc_leaves_fullscreen_before_it_quits_and_q_quits_at_once():
    """A presenter's remote sends F5, then Esc, from its slideshow button: in fullscreen, that quit the program
    in the middle of a talk. Esc now leaves focus, then fullscreen, as it does everywhere, and only then quits."""
    controls = make(focus=4, fullscreen=True)
    assert controls.press(ESC) == ["message"] and controls.state.focus is None and controls.state.fullscreen
    assert controls.press(ESC) == ["fullscreen", "message"] and not controls.state.fullscreen
    assert controls.message == "fullscreen off (Esc again or q quits)"
    assert controls.press(ESC) == ["quit"]
    assert press(make(fullscreen=True), "q") == ["quit"]


def test_colormap_and_normalization_cycle():
    controls = make()
    press(controls, "c")
    assert controls.state.colormap == "jet"
    press(controls, "cc")
    assert controls.state.colormap == "gray"
    seen = []
    for _ in range(4):
        press(controls, "m")
        seen.append(controls.state.normalize)
    assert seen == ["layer", "steady", "percentile", "channel"]


@pytest.mark.parametrize("key, field", [(" ", "frozen"), ("v", "mirror"), ("f", "fullscreen"), ("l", "labels"),
                                        ("h", "help"), ("t", "text")])
def test_toggles(key, field):
    controls = make()
    before = getattr(controls.state, field)
    press(controls, key)
    assert getattr(controls.state, field) is not before
    press(controls, key)
    assert getattr(controls.state, field) is before


def test_snapshot_record_and_fullscreen_are_actions():
    controls = make()
    assert press(controls, "s") == ["snapshot"]
    assert press(controls, "r") == ["record"]
    assert press(controls, "f") == ["fullscreen", "message"] and controls.message == "fullscreen on"
    assert controls.press(-1) == [] and press(controls, "z") == []


def test_layer_with_fewer_channels_than_a_page():
    controls = Controls(["tiny"], [10], 64, ["gray"])
    assert controls.shown == 10 and controls.pages == 1
    assert controls.visible_channels().tolist() == list(range(10))


@pytest.mark.parametrize("state, message", [
    ({"normalize": "wild"}, "unknown normalization 'wild'"),
    ({"order": "random"}, "unknown order 'random'"),
    ({"colormap": "nope"}, "unknown colormap 'nope'"),
    ({"page": 1}, "--page 2 is past the last page: layer block1_conv1 has 64 channels, 1 page"),
    ({"focus": 64}, "--focus 64 is not a channel of block1_conv1"),
])
def test_start_states_are_validated(state, message):
    with pytest.raises(UsageError, match=message):
        make(**state)


def test_focus_from_the_command_line_opens_its_page():
    controls = make(layer_index=1, focus=130)
    assert controls.state.page == 2 and 130 in controls.visible_channels()
