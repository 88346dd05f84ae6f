import sys

from django.core.management.base import BaseCommand, CommandError

from lessons.parser import LessonError


class LessonCommand(BaseCommand):
    def fail(self, errors: list[LessonError] | LessonError, *, summary: str = ""):
        """`PATH:LINE: message` on stderr and exit status 1 (a CommandError when called from code)."""
        errors = errors if isinstance(errors, list) else [errors]
        message = "\n".join(str(e) for e in errors)
        if getattr(self, "_called_from_command_line", False):
            self.stderr.write(message)
            if summary:
                self.stderr.write(summary)
            sys.exit(1)
        raise CommandError(message)
