from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0011_bill_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StripeCustomer',
            fields=[
                ('account_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('customer_id', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stripe_customers', 'app': 'onramp', 'pk_attr': 'account_id'},
            bases=['Model'],
        ),
    ]
