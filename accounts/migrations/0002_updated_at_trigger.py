from django.db import migrations

from narraforge.migration_ops import create_touch_function, touch_updated_at


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [create_touch_function(), touch_updated_at("users")]
