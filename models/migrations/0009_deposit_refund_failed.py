from tortoise import migrations
from tortoise.migrations import operations as ops
from models.cards import DepositStatus
from tortoise import fields


class AlterFieldStateOnly(ops.AlterField):
    """Only the recorded state changes: the column already holds any of the values.

    A CharEnumField's comment lists its enum's values; to change that comment SQLite would
    rebuild the table, which drops its indexes and, through ON DELETE CASCADE, the rows
    that point at it. Nothing in the database needs the new comment.
    """

    async def database_forward(self, *args, **kwargs) -> None:
        return None

    async def database_backward(self, *args, **kwargs) -> None:
        return None


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
