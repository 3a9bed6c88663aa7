from tortoise import migrations
from tortoise.migrations import operations as ops
from models.billing import BillKind, BillStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0004_card_binding')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Bill',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='bills', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('kind', fields.CharEnumField(description='MONTHLY: MONTHLY\nIMMEDIATE: IMMEDIATE', enum_type=BillKind, max_length=16)),
                ('period_key', fields.CharField(max_length=48)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('currency', fields.CharField(max_length=3)),
                ('tax_rate_percent', fields.CharField(max_length=16)),
                ('subtotal', fields.CharField(max_length=32)),
                ('tax', fields.CharField(max_length=32)),
                ('total', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(default=BillStatus.UNPAID, description='UNPAID: UNPAID\nPAID: PAID', enum_type=BillStatus, max_length=16)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('charge_attempts', fields.IntField(default=0)),
                ('next_charge_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_charge_error', fields.CharField(null=True, max_length=64)),
            ],
            options={'table': 'bills', 'app': 'onramp', 'unique_together': (('account', 'period_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillLine',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bill', fields.ForeignKeyField('onramp.Bill', source_field='bill_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('description', fields.CharField(max_length=200)),
                ('amount', fields.CharField(max_length=32)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bill_lines', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillingRun',
            fields=[
                ('period', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=7)),
                ('completed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'billing_runs', 'app': 'onramp', 'pk_attr': 'period', 'table_description': 'A month whose bills have all been issued (the run on the 3rd of the next month).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UsageRecord',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='usage', on_delete=OnDelete.CASCADE)),
                ('amount', fields.CharField(max_length=32)),
                ('currency', fields.CharField(max_length=3)),
                ('description', fields.CharField(max_length=200)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('bill', fields.ForeignKeyField('onramp.Bill', source_field='bill_id', null=True, db_constraint=True, to_field='id', related_name='usage', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'usage_records', 'app': 'onramp', 'indexes': [Index(fields=['account_id', 'occurred_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='arrears_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
