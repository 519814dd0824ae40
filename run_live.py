#!/usr/bin/env python3
"""Live CNN feature maps beside the camera picture: `python run_live.py --help`."""

from live.cli import run_and_exit

if __name__ == "__main__":
    run_and_exit()
