#!/usr/bin/env python
import os
import sys

# Commands that read only the code and write files of the project (no request served, nothing
# signed) run without a production key: a developer checks migrations or compiles messages in
# a fresh checkout as is. Every other command refuses to start without SECRET_KEY outside
# development mode (reless_platform/settings.py).
CODE_ONLY_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "collectstatic"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reless_platform.settings")
    if sys.argv[1:2] and sys.argv[1] in CODE_ONLY_COMMANDS:
        os.environ.setdefault("RELESS_DEV", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
