from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0016_staff')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='locale',
            field=fields.CharField(default='en', db_default='en', max_length=16),
        ),
    ]
