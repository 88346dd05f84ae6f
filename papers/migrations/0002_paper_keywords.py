from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="keywords",
            field=models.CharField(
                blank=True,
                help_text="Other names learners may search for, in Korean or English, e.g. '트랜스포머; Transformer'.",
                max_length=300,
                verbose_name="search keywords",
            ),
        ),
    ]
