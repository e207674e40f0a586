
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0002_synergies_organisation_aliases'),
        ('partners', '0003_merge_search_audit'),
    ]

    operations = [
    ]
