"""Allow ``python -m newsingest_demo serve --registry PATH [--ready-file PATH]``."""

import sys

from newsingest_demo.server import main

if __name__ == "__main__":
    sys.exit(main())
