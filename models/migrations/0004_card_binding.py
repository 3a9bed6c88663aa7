from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.cards import BindingStatus, DepositStatus, FailureReason, TicketStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0003_onboarding_steps')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentCard',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='payment_cards', on_delete=OnDelete.CASCADE)),
                ('gateway_payment_method', fields.CharField(max_length=64)),
                ('brand', fields.CharField(max_length=16)),
                ('last4', fields.CharField(max_length=4)),
                ('expiry_month', fields.IntField()),
                ('expiry_year', fields.IntField()),
                ('holder_name', fields.CharField(max_length=100)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('is_default', fields.BooleanField(default=False)),
                ('bound_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_cards', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CardBindingAttempt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='card_binding_attempts', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=BindingStatus.PROCESSING, description='PROCESSING: PROCESSING\nREQUIRES_ACTION: REQUIRES_ACTION\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED', enum_type=BindingStatus, max_length=16)),
                ('deposit_status', fields.CharEnumField(default=DepositStatus.NOT_CHARGED, description='NOT_CHARGED: NOT_CHARGED\nCHARGED: CHARGED\nREFUND_PENDING: REFUND_PENDING\nREFUNDED: REFUNDED', enum_type=DepositStatus, max_length=16)),
                ('failure_reason', fields.CharEnumField(null=True, description='DECLINED: DECLINED\nINSUFFICIENT_FUNDS: INSUFFICIENT_FUNDS\nEXPIRED_CARD: EXPIRED_CARD\nINCORRECT_CVC: INCORRECT_CVC\nLOST_OR_STOLEN: LOST_OR_STOLEN\nPROCESSING_ERROR: PROCESSING_ERROR\nAUTHENTICATION_FAILED: AUTHENTICATION_FAILED\nAUTHENTICATION_TIMEOUT: AUTHENTICATION_TIMEOUT\nCARD_NOT_SUPPORTED: CARD_NOT_SUPPORTED', enum_type=FailureReason, max_length=32)),
                ('gateway_payment_method', fields.CharField(max_length=64)),
                ('brand', fields.CharField(max_length=16)),
                ('first6', fields.CharField(max_length=6)),
                ('last4', fields.CharField(max_length=4)),
                ('expiry_month', fields.IntField()),
                ('expiry_year', fields.IntField()),
                ('holder_name', fields.CharField(max_length=100)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('deposit_amount', fields.CharField(max_length=32)),
                ('deposit_currency', fields.CharField(max_length=3)),
                ('gateway_intent', fields.CharField(null=True, max_length=64)),
                ('gateway_charge', fields.CharField(null=True, max_length=64)),
                ('redirect_url', fields.CharField(null=True, max_length=500)),
                ('action_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('return_url', fields.CharField(null=True, max_length=500)),
                ('service_terms_id', fields.UUIDField()),
                ('terms_accepted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('client_ip', fields.CharField(max_length=64)),
                ('user_agent', fields.CharField(max_length=512)),
                ('card', fields.ForeignKeyField('onramp.PaymentCard', source_field='card_id', null=True, db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'card_binding_attempts', 'app': 'onramp', 'indexes': [Index(fields=['account_id', 'created_at']), Index(fields=['status', 'updated_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BindingIdempotencyKey',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=128)),
                ('request_hash', fields.CharField(max_length=64)),
                ('attempt', fields.ForeignKeyField('onramp.CardBindingAttempt', source_field='attempt_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'binding_idempotency_keys', 'app': 'onramp', 'unique_together': (('account', 'key'),), 'pk_attr': 'id', 'table_description': 'A bindCard idempotency key of one account, for 24 hours.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessedWebhookEvent',
            fields=[
                ('event_id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'processed_webhook_events', 'app': 'onramp', 'pk_attr': 'event_id', 'table_description': 'Payment webhook events already handled: a redelivery changes nothing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxPaymentMethod',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('brand', fields.CharField(max_length=16)),
                ('first6', fields.CharField(max_length=6)),
                ('last4', fields.CharField(max_length=4)),
                ('expiry_month', fields.IntField()),
                ('expiry_year', fields.IntField()),
                ('holder_name', fields.CharField(max_length=100)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('behavior', fields.CharField(max_length=32)),
                ('attached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_payment_methods', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxCharge',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('payment_method', fields.ForeignKeyField('onramp.SandboxPaymentMethod', source_field='payment_method_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('amount', fields.CharField(max_length=32)),
                ('currency', fields.CharField(max_length=3)),
                ('status', fields.CharField(max_length=16)),
                ('failure_code', fields.CharField(null=True, max_length=32)),
                ('off_session', fields.BooleanField(default=False)),
                ('refund_status', fields.CharField(default='none', max_length=16)),
                ('refund_attempts', fields.IntField(default=0)),
                ('refund_next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_charges', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxIntent',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('idempotency_key', fields.CharField(unique=True, max_length=128)),
                ('payment_method', fields.ForeignKeyField('onramp.SandboxPaymentMethod', source_field='payment_method_id', db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE)),
                ('amount', fields.CharField(max_length=32)),
                ('currency', fields.CharField(max_length=3)),
                ('return_url', fields.CharField(null=True, max_length=500)),
                ('status', fields.CharField(max_length=16)),
                ('failure_code', fields.CharField(null=True, max_length=32)),
                ('bank_token_mac', fields.CharField(unique=True, max_length=64)),
                ('bank_token_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('charge', fields.CharField(null=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_intents', 'app': 'onramp', 'pk_attr': 'id', 'table_description': "A verification of a payment method by a deposit, with the bank's identity check."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxWebhook',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('type', fields.CharField(max_length=64)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sandbox_webhooks', 'app': 'onramp', 'pk_attr': 'id', 'table_description': 'An event to deliver to the merchant, at least once, with backoff.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceTicket',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='service_tickets', on_delete=OnDelete.CASCADE)),
                ('number', fields.CharField(unique=True, max_length=16)),
                ('subject', fields.CharField(max_length=120)),
                ('description', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=TicketStatus.OPEN, description='OPEN: OPEN\nIN_PROGRESS: IN_PROGRESS\nRESOLVED: RESOLVED\nCLOSED: CLOSED', enum_type=TicketStatus, max_length=16)),
                ('attempt', fields.ForeignKeyField('onramp.CardBindingAttempt', source_field='attempt_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_tickets', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='arrears_risk',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='binding_attempt_id',
            field=fields.UUIDField(null=True),
        ),
    ]
