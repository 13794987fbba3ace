"""``python -m videocolor``: the same as the ``videocolor`` command."""

import sys

from videocolor.cli import main

sys.exit(main())
