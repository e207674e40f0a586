from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('resolutions', '0003_trust_audit_triggers'),
        ('resolutions', '0004_merge_translations_search'),
    ]

    operations = [
    ]
