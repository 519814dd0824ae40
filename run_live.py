#!/usr/bin/env python3
"""Live CNN feature maps beside the camera picture: `python run_live.py --help`."""

import sys

from live.cli import main

if __name__ == "__main__":
    sys.exit(main())
