from tortoise import migrations
from tortoise.migrations import operations as ops
from models.onboarding import DetailsType
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0002_sign_in')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountDetails',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.OneToOneField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='details', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharEnumField(description='INDIVIDUAL: INDIVIDUAL\nENTERPRISE: ENTERPRISE', enum_type=DetailsType, max_length=16)),
                ('full_name', fields.CharField(null=True, max_length=100)),
                ('company_name', fields.CharField(null=True, max_length=200)),
                ('registration_number', fields.CharField(null=True, max_length=64)),
                ('tax_id', fields.CharField(null=True, max_length=64)),
                ('contact_name', fields.CharField(null=True, max_length=100)),
                ('address_line1', fields.CharField(null=True, max_length=200)),
                ('address_line2', fields.CharField(null=True, max_length=200)),
                ('address_city', fields.CharField(null=True, max_length=100)),
                ('address_state', fields.CharField(null=True, max_length=100)),
                ('address_postal_code', fields.CharField(null=True, max_length=20)),
                ('completed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_details', 'app': 'onramp', 'pk_attr': 'id', 'table_description': "Individual or enterprise details, with an address in the account's own region."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AccountMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('link', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_messages', 'app': 'onramp', 'pk_attr': 'id', 'table_description': "A message on the account's own page, withdrawn once it no longer applies."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AgreementAcceptance',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('onramp.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='agreement_acceptances', on_delete=OnDelete.CASCADE)),
                ('agreement_id', fields.UUIDField()),
                ('agreement_key', fields.CharField(max_length=64)),
                ('version', fields.CharField(max_length=32)),
                ('accepted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('client_ip', fields.CharField(max_length=64)),
                ('user_agent', fields.CharField(max_length=512)),
            ],
            options={'table': 'agreement_acceptances', 'app': 'onramp', 'unique_together': (('account', 'agreement_id'),), 'pk_attr': 'id', 'table_description': 'One accepted version of one agreement, with the evidence of who accepted it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='cloud_enabled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='mobile_e164',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='mobile_region',
            field=fields.CharField(null=True, max_length=2),
        ),
        ops.AddField(
            model_name='Account',
            name='mobile_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='security_phone_e164',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='security_phone_region',
            field=fields.CharField(null=True, max_length=2),
        ),
        ops.AddField(
            model_name='Account',
            name='security_phone_skipped_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='security_phone_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
