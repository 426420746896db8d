from django.db import migrations

from narraforge.migration_ops import touch_updated_at


class Migration(migrations.Migration):
    dependencies = [("narratives", "0001_initial"), ("accounts", "0002_updated_at_trigger")]

    operations = [touch_updated_at("narratives")]
