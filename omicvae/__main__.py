"""``python -m omicvae``: the ``omicvae`` command line."""

import sys

from omicvae.cli import main

if __name__ == "__main__":
    sys.exit(main())
