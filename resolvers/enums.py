"""The models' and services' enums as GraphQL enums, each under its name in the schema.

`strawberry.enum` registers an enum class in place and hands back the same class, so each
name here is the model's or service's own class, not a copy: a value read from a row or
returned by a service is already the GraphQL value. Registering is a statement and the
schema name a plain alias because an annotation must name a class for a type checker; a
variable assigned from a call is not one. Where the schema name is the class's own name the
class is simply re-exported. Import these by their schema names, never renamed.

Enums that exist only in the API (a mutation's choices, say) stay beside the step that uses
them.
"""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from gateways.port import Brand
from models.accounts import AccountKind
from models.billing import BillKind, BillPaymentStatus, BillStatus
from models.cards import BindingStatus, DepositStatus, FailureReason, TicketStatus
from services.onboarding.progress import StepKey
from services.problems import ProblemCode

__all__ = [
    "AccountKind",
    "BillKind",
    "BillPaymentStatus",
    "BillStatus",
    "CardBindingStatus",
    "CardBrand",
    "CardFailureReason",
    "DepositStatus",
    "ErrorCode",
    "OnboardingStepKey",
    "ServiceTicketStatus",
]

strawberry.enum(
    AccountKind,
    description=(
        "An email address may hold one account of each kind; every sign-in names the kind "
        "(HUAWEI_ID by default)."
    ),
)
strawberry.enum(BillKind)
strawberry.enum(BillStatus)
strawberry.enum(BillPaymentStatus)
strawberry.enum(DepositStatus)

strawberry.enum(Brand, name="CardBrand")
CardBrand: TypeAlias = Brand

strawberry.enum(BindingStatus, name="CardBindingStatus")
CardBindingStatus: TypeAlias = BindingStatus

strawberry.enum(FailureReason, name="CardFailureReason")
CardFailureReason: TypeAlias = FailureReason

strawberry.enum(TicketStatus, name="ServiceTicketStatus")
ServiceTicketStatus: TypeAlias = TicketStatus

strawberry.enum(StepKey, name="OnboardingStepKey")
OnboardingStepKey: TypeAlias = StepKey

strawberry.enum(ProblemCode, name="ErrorCode")
ErrorCode: TypeAlias = ProblemCode
