from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0013_pay_bill')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='arrears_from_charges',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
