"""``python -m skill`` runs the igedit CLI."""

from __future__ import annotations

import sys

from .front.cli import main

sys.exit(main())
