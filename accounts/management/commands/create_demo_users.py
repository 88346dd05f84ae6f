from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from core.permissions import INSTRUCTORS_GROUP

DEMO_USERS = [
    ("instructor", "instructor-demo-pass", True),
    ("learner", "learner-demo-pass", False),
]


class Command(BaseCommand):
    help = "Create a demo instructor and learner (development mode only) and print their credentials."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Also outside DEBUG (never in production).")

    def handle(self, *args, force=False, **options):
        if not (settings.DEBUG or force):
            raise CommandError("Demo accounts are only created with DJANGO_DEBUG=1.")
        group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
        lines = []
        for username, password, instructor in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = instructor
                user.save()
            if instructor:
                user.groups.add(group)
            role = "instructor (admin: /admin/)" if instructor else "learner"
            state = "created" if created else "exists; password unchanged"
            lines.append(f"  {role:28} username={username}  password={password}  [{state}]")
        self.stdout.write(self.style.SUCCESS("Demo accounts (development only):"))
        self.stdout.write("\n".join(lines))
