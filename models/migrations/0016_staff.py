from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.staff import StaffRole
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0015_charge_recovery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('staff_id', fields.UUIDField(null=True)),
                ('actor', fields.CharField(max_length=320)),
                ('action', fields.CharField(max_length=64)),
                ('account_id', fields.UUIDField(null=True)),
                ('subject', fields.CharField(default='', max_length=320)),
                ('client_ip', fields.CharField(null=True, max_length=64)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.CharField(null=True, max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_entries', 'app': 'onramp', 'indexes': [Index(fields=['account_id', 'created_at']), Index(fields=['staff_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One thing a staff member (or an operator at the command line) did, and to what.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('email_display', fields.CharField(max_length=320)),
                ('role', fields.CharEnumField(description='SUPPORT: SUPPORT\nBILLING: BILLING\nADMIN: ADMIN', enum_type=StaffRole, max_length=16)),
                ('password_hash', fields.CharField(null=True, max_length=255)),
                ('password_set_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('setup_code_mac', fields.CharField(null=True, unique=True, max_length=64)),
                ('setup_code_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('totp_secret_sealed', fields.CharField(max_length=255)),
                ('totp_last_step', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_members', 'app': 'onramp', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ServiceTicketReply',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('ticket', fields.ForeignKeyField('onramp.ServiceTicket', source_field='ticket_id', db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.CASCADE)),
                ('staff', fields.ForeignKeyField('onramp.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='replies', on_delete=OnDelete.SET_NULL)),
                ('from_support', fields.BooleanField()),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_ticket_replies', 'app': 'onramp', 'indexes': [Index(fields=['ticket_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "One message of a ticket's conversation after its description."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('onramp.StaffMember', source_field='staff_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('token_mac', fields.CharField(unique=True, max_length=64)),
                ('client_ip', fields.CharField(max_length=64)),
                ('user_agent', fields.CharField(max_length=512)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_sessions', 'app': 'onramp', 'indexes': [Index(fields=['staff_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': "Like a customer's session, in a table of its own: the token only as an HMAC."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CardBindingAttempt',
            name='refund_retried_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='CardBindingAttempt',
            index=Index(fields=['last4', 'expiry_year']),
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['recipient', 'created_at']),
        ),
        ops.AddIndex(
            model_name='PaymentCard',
            index=Index(fields=['last4', 'expiry_year']),
        ),
        ops.AddField(
            model_name='ServiceTicket',
            name='assignee',
            field=fields.ForeignKeyField('onramp.StaffMember', source_field='assignee_id', null=True, db_constraint=True, to_field='id', related_name='tickets', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ServiceTicket',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Tickets from before replies were last changed when they were made.
        ops.RunSQL(
            "UPDATE service_tickets SET updated_at = created_at WHERE updated_at IS NULL",
            reverse_sql="",
        ),
        ops.AddIndex(
            model_name='ServiceTicket',
            index=Index(fields=['status', 'created_at']),
        ),
    ]
