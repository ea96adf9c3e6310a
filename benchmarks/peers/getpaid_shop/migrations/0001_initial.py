from decimal import Decimal

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("total", models.DecimalField(decimal_places=2, default=Decimal("80.00"),
                                              max_digits=12)),
            ],
        ),
    ]
