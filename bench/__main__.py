"""``python -m bench``: run the benchmarks (``--help`` lists the options)."""

import sys

from bench.cli import main

sys.exit(main())
