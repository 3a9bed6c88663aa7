"""`python -m api` is the same as the `onramp` command."""

import sys

from api.cli import main

sys.exit(main())
