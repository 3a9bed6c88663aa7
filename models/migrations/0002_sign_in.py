from tortoise import migrations
from tortoise.migrations import operations as ops
from models.codes import CodePurpose
from models.outbox import Channel, DeliveryStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='EMAIL: EMAIL\nSMS: SMS', enum_type=Channel, max_length=8)),
                ('kind', fields.CharField(max_length=64)),
                ('recipient', fields.CharField(max_length=320)),
                ('subject', fields.CharField(default='', max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nSENT: SENT\nHELD: HELD', enum_type=DeliveryStatus, max_length=8)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=200)),
                ('redacted', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'outbox_messages', 'app': 'onramp', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_mac', fields.CharField(unique=True, max_length=64)),
                ('client_ip', fields.CharField(max_length=64)),
                ('user_agent', fields.CharField(max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sessions', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('purpose', fields.CharEnumField(description='REGISTRATION: REGISTRATION\nPASSWORD_RESET: PASSWORD_RESET\nSECURITY_PHONE: SECURITY_PHONE\nMOBILE_NUMBER: MOBILE_NUMBER', enum_type=CodePurpose, max_length=24)),
                ('destination', fields.CharField(max_length=320)),
                ('scope', fields.CharField(max_length=64)),
                ('code_mac', fields.CharField(max_length=64)),
                ('attempts', fields.IntField(default=0)),
                ('max_attempts', fields.IntField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('superseded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'verification_codes', 'app': 'onramp', 'indexes': [Index(fields=['purpose', 'destination', 'scope'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='password_changed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
