from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

async def restore_unique_key(apps: Any, schema_editor: Any) -> None:
    # SQLite alters a column by rebuilding the table, and the rebuild drops the table's
    # unique (account, key): bindCard's idempotency rests on it, so it is made again.
    # PostgreSQL alters the column in place and keeps its constraint.
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script(
            'CREATE UNIQUE INDEX IF NOT EXISTS "uid_binding_ide_account_key" '
            'ON "binding_idempotency_keys" ("account_id", "key")'
        )


class Migration(migrations.Migration):
    dependencies = [('onramp', '0006_card_first_six')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='BindingIdempotencyKey',
            name='attempt',
            field=fields.ForeignKeyField('onramp.CardBindingAttempt', source_field='attempt_id', null=True, db_constraint=True, to_field='id', on_delete=OnDelete.CASCADE),
        ),
        ops.RunPython(restore_unique_key, reverse_code=ops.RunPython.noop),
        ops.AddField(
            model_name='CardBindingAttempt',
            name='reconcile_tries',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
