"""`python -m bench.realworld [--text-only] [--misses] [--json FILE] [--only ID]`."""

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

from bench.realworld.evaluate import main

if __name__ == "__main__":
    main(sys.argv[1:])
