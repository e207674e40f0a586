
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('resolutions', '0003_synergies_links'),
        ('resolutions', '0005_merge_audit'),
    ]

    operations = [
    ]
