from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0012_stripe_customers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillPaymentKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=128)),
                ('request_hash', fields.CharField(max_length=64)),
                ('payment', fields.ForeignKeyField('onramp.BillPayment', source_field='payment_id', null=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bill_payment_keys', 'app': 'onramp', 'unique_together': (('account', 'key'),), 'pk_attr': 'id', 'table_description': 'A payBill idempotency key of one account, for 24 hours.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Bill',
            name='active_payment_id',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='BillPayment',
            name='action_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='BillPayment',
            name='redirect_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddIndex(
            model_name='BillPayment',
            index=Index(fields=['gateway_reference']),
        ),
    ]
