from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0014_arrears_from_charges')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StripeRequest',
            fields=[
                ('idempotency_key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=255)),
                ('object_id', fields.CharField(null=True, max_length=255)),
                ('first_sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stripe_requests', 'app': 'onramp', 'pk_attr': 'idempotency_key', 'table_description': 'A create sent to Stripe under an idempotency key: when first, and what it made.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='BillPayment',
            name='checks',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='BillPayment',
            name='next_check_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='BillPayment',
            name='return_url',
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddIndex(
            model_name='BillPayment',
            index=Index(fields=['status', 'next_check_at']),
        ),
        ops.AddField(
            model_name='BillPaymentKey',
            name='answering',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='BindingIdempotencyKey',
            name='answering',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
