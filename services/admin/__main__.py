"""`python -m services.admin ...`, the same as the `speechflow-admin` command."""

import sys

from services.admin.cli import main

if __name__ == "__main__":
    sys.exit(main())
