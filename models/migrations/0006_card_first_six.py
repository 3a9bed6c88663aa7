from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('onramp', '0005_billing')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PaymentCard',
            name='first6',
            field=fields.CharField(db_default='', max_length=6),
        ),
        # Cards bound before this migration take their first six from the attempt that bound them.
        ops.RunSQL(
            "UPDATE payment_cards SET first6 = COALESCE((SELECT a.first6 FROM"
            " card_binding_attempts a WHERE a.card_id = payment_cards.id LIMIT 1), '')",
            reverse_sql="",
        ),
    ]
