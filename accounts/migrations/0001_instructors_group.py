from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_APPS = ["papers", "quizzes", "glossary", "lessons"]


def create_group(apps, schema_editor):
    db = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=db)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db).get_or_create(name="Instructors")
    group.permissions.set(Permission.objects.using(db).filter(content_type__app_label__in=CONTENT_APPS))


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Instructors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("papers", "0001_initial"),
        ("quizzes", "0001_initial"),
        ("glossary", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
