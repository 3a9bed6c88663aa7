from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cards import DepositStatus
from tortoise import fields
from models.migrate import AlterFieldStateOnly


class Migration(migrations.Migration):
    dependencies = [('onramp', '0008_read_indexes')]

    initial = False

    operations = [
        AlterFieldStateOnly(
            model_name='CardBindingAttempt',
            name='deposit_status',
            field=fields.CharEnumField(default=DepositStatus.NOT_CHARGED, description='NOT_CHARGED: NOT_CHARGED\nCHARGED: CHARGED\nREFUND_PENDING: REFUND_PENDING\nREFUNDED: REFUNDED\nREFUND_FAILED: REFUND_FAILED', enum_type=DepositStatus, max_length=16),
        ),
    ]
