from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0017_account_locale')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxMessage',
            name='locale',
            field=fields.CharField(null=True, max_length=16),
        ),
    ]
