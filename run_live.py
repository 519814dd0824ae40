#!/usr/bin/env python3
"""Live CNN feature maps beside the camera picture: `python run_live.py --help`."""

from live.cli import exit_at_once, main

if __name__ == "__main__":
    exit_at_once(main())
