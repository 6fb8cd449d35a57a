"""``python -m connect_sync``: the same as the ``connect-sync`` command."""

import sys

from connect_sync.cli import main

sys.exit(main())
