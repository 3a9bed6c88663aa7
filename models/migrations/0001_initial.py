from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import AccountKind
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Account',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='HUAWEI_ID: HUAWEI_ID\nHUAWEI_CLOUD: HUAWEI_CLOUD', enum_type=AccountKind, max_length=16)),
                ('email', fields.CharField(max_length=320)),
                ('email_display', fields.CharField(max_length=320)),
                ('region_code', fields.CharField(max_length=2)),
                ('password_hash', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'accounts', 'app': 'onramp', 'unique_together': (('email', 'kind'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
