from tortoise import migrations
from tortoise.migrations import operations as ops
from models.billing import BillPaymentStatus
from models.cards import FailureReason
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index
from models.migrate import AlterFieldStateOnly

class Migration(migrations.Migration):
    dependencies = [('onramp', '0010_card_removal')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BillPayment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bill', fields.ForeignKeyField('onramp.Bill', source_field='bill_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.CASCADE)),
                ('card', fields.ForeignKeyField('onramp.PaymentCard', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.SET_NULL)),
                ('card_brand', fields.CharField(max_length=16)),
                ('card_last4', fields.CharField(max_length=4)),
                ('amount', fields.CharField(max_length=32)),
                ('currency', fields.CharField(max_length=3)),
                ('off_session', fields.BooleanField()),
                ('status', fields.CharEnumField(default=BillPaymentStatus.PROCESSING, description='PROCESSING: PROCESSING\nREQUIRES_ACTION: REQUIRES_ACTION\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=BillPaymentStatus, max_length=16)),
                ('failure_reason', fields.CharField(null=True, max_length=32)),
                ('gateway_reference', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bill_payments', 'app': 'onramp', 'indexes': [Index(fields=['bill_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One charge of a bill to a card, automatic or asked for, keeping its brand and last four.'},
            bases=['Model'],
        ),
        AlterFieldStateOnly(
            model_name='CardBindingAttempt',
            name='failure_reason',
            field=fields.CharEnumField(null=True, description='DECLINED: DECLINED\nINSUFFICIENT_FUNDS: INSUFFICIENT_FUNDS\nEXPIRED_CARD: EXPIRED_CARD\nINCORRECT_CVC: INCORRECT_CVC\nLOST_OR_STOLEN: LOST_OR_STOLEN\nPROCESSING_ERROR: PROCESSING_ERROR\nAUTHENTICATION_FAILED: AUTHENTICATION_FAILED\nAUTHENTICATION_TIMEOUT: AUTHENTICATION_TIMEOUT\nCARD_NOT_SUPPORTED: CARD_NOT_SUPPORTED\nAUTHENTICATION_REQUIRED: AUTHENTICATION_REQUIRED', enum_type=FailureReason, max_length=32),
        ),
    ]
