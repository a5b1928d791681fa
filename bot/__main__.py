"""`python -m bot` is the same as the `katalo-bot` command."""

import sys

from bot.cli import main

sys.exit(main())
