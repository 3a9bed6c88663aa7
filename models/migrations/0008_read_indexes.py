from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('onramp', '0007_bind_races')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='AccountMessage',
            index=Index(fields=['account_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Bill',
            index=Index(fields=['status', 'next_charge_at']),
        ),
        ops.AddIndex(
            model_name='CardBindingAttempt',
            index=Index(fields=['gateway_intent']),
        ),
        ops.AddIndex(
            model_name='CardBindingAttempt',
            index=Index(fields=['gateway_charge']),
        ),
        ops.AddIndex(
            model_name='CardBindingAttempt',
            index=Index(fields=['deposit_status']),
        ),
        ops.AddIndex(
            model_name='PaymentCard',
            index=Index(fields=['account_id', 'is_default']),
        ),
        ops.AddIndex(
            model_name='SandboxCharge',
            index=Index(fields=['refund_status', 'refund_next_attempt_at']),
        ),
        ops.AddIndex(
            model_name='SandboxWebhook',
            index=Index(fields=['delivered_at', 'next_attempt_at']),
        ),
        ops.AddIndex(
            model_name='ServiceTicket',
            index=Index(fields=['account_id', 'created_at']),
        ),
        ops.AddIndex(
            model_name='Session',
            index=Index(fields=['account_id', 'revoked_at']),
        ),
    ]
