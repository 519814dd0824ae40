"""Counts in the program's sentences, in the singular for one: '1 channel', '64 channels'."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """`count` and `noun`, with an 's' unless the count is one: counted(1, 'frame') is '1 frame'."""
    return f"{count} {noun}{'s' if count != 1 else ''}"
