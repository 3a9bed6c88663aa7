"""The outbox: messages are rows first, then delivered by whichever process claims them.

Delivery never fails the operation that wrote the message: a failed send is retried with
a growing delay, and a restart resumes whatever is still pending. A process claims one row
at a time (a lease); asked to stop, it finishes the delivery under way and claims no more,
and a delivery cancelled past the shutdown's grace gives its row back at once, so another
process takes it without waiting for the lease to run out.

A message is written in the language it is given: the account's own (`account.locale`), or,
before there is an account, the asking request's. Never the language of whoever happened
to trigger it (a webhook, a job, a staff member). The row keeps that language, and an email
names it in its Content-Language header.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx
from tortoise.expressions import F, Q

from models.outbox import Channel, DeliveryStatus, OutboxMessage
from services.clock import Clock
from services.jobs import Job, abandonable, backoff, stopping
from services.messages import Message
from services.metrics import Metrics
from services.sms import measure

log = logging.getLogger("onramp.outbox")

LEASE = timedelta(seconds=60)
RETRY_BASE = timedelta(seconds=5)
MAX_RETRY_DELAY = timedelta(hours=1)
POLL_INTERVAL_S = 5.0
BATCH = 20
REDACTED = "[redacted after delivery]"
# The kind of a row written for nobody: held, so never delivered, and never listed.
DECOY_KIND = "decoy"


class EmailSender(Protocol):
    async def send(self, recipient: str, subject: str, body: str, locale: str | None) -> None: ...


class SmtpSender:
    """Plain SMTP, upgraded with STARTTLS whenever the server offers it."""

    def __init__(self, host: str, port: int, sender: str, timeout_s: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout_s = timeout_s

    async def send(self, recipient: str, subject: str, body: str, locale: str | None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = subject
        message.set_content(body)
        # After the content: setting it clears every Content-* header.
        if locale:  # a row from before languages were kept does not know its own
            message["Content-Language"] = locale
        await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=self.timeout_s)


class SmsSender(Protocol):
    async def send(self, recipient: str, text: str) -> None: ...


class WebhookSmsSender:
    """POSTs {"to": "+E164", "text": "...", "encoding": "GSM-7" or "UCS-2", "segments": n} to
    the SMS provider; any non-2xx is a failure."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    async def send(self, recipient: str, text: str) -> None:
        size = measure(text)
        payload = {
            "to": recipient,
            "text": text,
            "encoding": size.encoding.value,
            "segments": size.segments,
        }
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            response = await client.post(self.url, json=payload)
            response.raise_for_status()


class Outbox:
    def __init__(
        self,
        clock: Clock,
        email: EmailSender | None,
        sms: SmsSender | None,
        redact_delivered: bool,
        metrics: Metrics,
    ) -> None:
        self.clock = clock
        self.metrics = metrics
        self.email_sender = email
        self.sms_sender = sms
        self.redact_delivered = redact_delivered
        self._wake = asyncio.Event()

    async def send_email(self, recipient: str, message: Message, locale: str) -> OutboxMessage:
        """Writes the email in `locale`: the recipient account's, never the request's."""
        row = await OutboxMessage.create(
            channel=Channel.EMAIL,
            kind=message.kind,
            recipient=recipient,
            subject=message.subject.render(locale) if message.subject else "",
            body=message.body.render(locale),
            locale=locale,
            status=DeliveryStatus.PENDING if self.email_sender else DeliveryStatus.HELD,
            next_attempt_at=self.clock.now(),
        )
        log.info("email %s to %s queued", message.kind, recipient)
        self._wake.set()
        return row

    async def send_sms(self, recipient: str, message: Message, locale: str) -> OutboxMessage:
        """Writes the SMS in `locale`: the recipient account's, never the request's."""
        row = await OutboxMessage.create(
            channel=Channel.SMS,
            kind=message.kind,
            recipient=recipient,
            body=message.body.render(locale),
            locale=locale,
            status=DeliveryStatus.PENDING if self.sms_sender else DeliveryStatus.HELD,
            next_attempt_at=self.clock.now(),
        )
        log.info("sms %s to %s queued", message.kind, recipient)
        self._wake.set()
        return row

    async def write_decoy(self, channel: Channel) -> None:
        """A row in place of a message to nobody, written by the same INSERT as a real one,
        so that a request for an address without an account does the same work."""
        await OutboxMessage.create(
            channel=channel,
            kind=DECOY_KIND,
            recipient="",
            body="",
            status=DeliveryStatus.HELD,
            next_attempt_at=self.clock.now(),
        )

    async def latest(self, limit: int) -> list[OutboxMessage]:
        return await OutboxMessage.exclude(kind=DECOY_KIND).order_by("-created_at").limit(limit)

    async def deliver_due(self, batch: int = BATCH) -> int:
        """Claims and sends what is due; returns how many it claimed."""
        now = self.clock.now()
        due = (
            await OutboxMessage.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until=None) | Q(lease_until__lt=now))
            .order_by("next_attempt_at")
            .limit(batch)
        )
        claimed_count = 0
        for row in due:
            if stopping():
                break  # the rest is left to the next process
            claimed = (
                await OutboxMessage.filter(id=row.id, status=DeliveryStatus.PENDING)
                .filter(Q(lease_until=None) | Q(lease_until__lt=now))
                .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
            )
            if claimed:
                claimed_count += 1
                await self._deliver(row, attempts=row.attempts + 1)
        return claimed_count

    async def _deliver(self, row: OutboxMessage, attempts: int) -> None:
        channel = row.channel.value
        try:
            if row.channel is Channel.EMAIL and self.email_sender is not None:
                await abandonable(
                    self.email_sender.send(row.recipient, row.subject, row.body, row.locale)
                )
            elif row.channel is Channel.SMS and self.sms_sender is not None:
                await abandonable(self.sms_sender.send(row.recipient, row.body))
            else:
                raise RuntimeError(f"no {row.channel.lower()} transport configured")
        except asyncio.CancelledError:
            # Past the shutdown's grace: whether the provider took it is unknown, so the row
            # goes back to PENDING at once (its try counted) for the next process to send;
            # `attempts` tells this claim from a later one by a process whose lease followed.
            await OutboxMessage.filter(
                id=row.id, status=DeliveryStatus.PENDING, attempts=attempts
            ).update(lease_until=None)
            self.metrics.outbox_deliveries.labels(channel, "released").inc()
            log.warning(
                "%s %s to %s released unfinished at shutdown",
                channel.lower(),
                row.kind,
                row.recipient,
            )
            raise
        except Exception as error:  # any failure is retried later; the message stays
            delay = backoff(attempts, base=RETRY_BASE, cap=MAX_RETRY_DELAY)
            await OutboxMessage.filter(id=row.id).update(
                lease_until=None,
                next_attempt_at=self.clock.now() + delay,
                last_error=type(error).__name__,
            )
            self.metrics.outbox_deliveries.labels(channel, "failed").inc()
            log.warning(
                "%s %s to %s failed (%s); retrying in %ss",
                row.channel.lower(),
                row.kind,
                row.recipient,
                type(error).__name__,
                int(delay.total_seconds()),
            )
            return
        update: dict[str, object] = {
            "status": DeliveryStatus.SENT,
            "sent_at": self.clock.now(),
            "lease_until": None,
            "last_error": None,
        }
        if self.redact_delivered:
            update |= {"body": REDACTED, "redacted": True}
        await OutboxMessage.filter(id=row.id).update(**update)
        self.metrics.outbox_deliveries.labels(channel, "sent").inc()
        log.info("%s %s to %s delivered", row.channel.lower(), row.kind, row.recipient)

    async def deliver_batch(self) -> bool:
        """The job's step: one batch; True when it was full, so more may be waiting."""
        return await self.deliver_due() == BATCH

    def jobs(self) -> list[Job]:
        """Delivery: at once when a message is queued, and every few seconds regardless."""
        return [Job("outbox", self.deliver_batch, POLL_INTERVAL_S, wake=self._wake)]
