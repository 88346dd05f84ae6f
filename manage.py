#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

if sys.version_info < (3, 12):
    sys.exit(
        f"Python 3.12 or newer is required (found {sys.version.split()[0]}). "
        "Install Python 3.13 or 3.12 (see .python-version) and run `make run`."
    )


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
