"""Hand-overs between threads: newest item wins (or nothing lost when blocking), and the image pool."""

import threading

import numpy as np

from live.handover import BufferPool, Handover


def test_handover_keeps_only_the_newest_item():
    slot = Handover()
    for item in range(5):
        slot.put(item)
    assert slot.take(0.1) == 4
    assert slot.take(0.01) is None


def test_handover_reports_what_it_drops_unseen():
    dropped = []
    slot = Handover(on_drop=dropped.append)
    for item in range(3):
        slot.put(item)
    assert slot.take(0.1) == 2 and dropped == [0, 1]
    slot.put(3)
    assert dropped == [0, 1]  # the slot was empty: nothing dropped


def test_buffer_pool_hands_back_what_it_was_given():
    pool = BufferPool()
    first = pool.take((4, 6, 3))
    pool.give(first)
    assert pool.take((4, 6, 3)) is first
    assert pool.take((4, 6, 3)) is not first and pool.allocated == 2
    pool.give(first)
    assert pool.take((5, 6, 3)).shape == (5, 6, 3) and pool.allocated == 3  # another size: a new image
    for _ in range(3 * BufferPool.KEEP):
        pool.give(np.empty((2, 2, 3), np.uint8))
    assert len(pool._free) == BufferPool.KEEP


def test_blocking_handover_loses_nothing():
    slot = Handover(blocking=True)
    got = []
    reader = threading.Thread(target=lambda: got.extend(slot.take(1) for _ in range(20)))
    reader.start()
    for item in range(20):
        slot.put(item)
    reader.join(5)
    assert got == list(range(20))
