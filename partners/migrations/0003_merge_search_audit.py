from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0002_search_tsvector'),
        ('partners', '0002_trust_audit_triggers'),
    ]

    operations = [
    ]
