"""`python -m digitrt`: the same as the `digitrt` command."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
