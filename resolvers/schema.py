"""The Strawberry schema: every step's operations merged, with limits and error masking."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import FieldNode, GraphQLError, get_operation_ast
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult, StreamExecutionResult

from resolvers.account import AccountMessageType, AccountQuery, AccountType
from resolvers.account_messages import AccountMessagesMutation
from resolvers.bill_payments import BillPaymentSubscription, PayBillMutation
from resolvers.billing import BillPaymentType, BillType
from resolvers.card_binding_updates import CardBindingSubscription
from resolvers.cards import CardBindingAttemptType, CardMutation, CardQuery, PaymentCardType
from resolvers.cloud import CloudMutation
from resolvers.details import DetailsMutation
from resolvers.languages import LanguagesMutation, LanguagesQuery
from resolvers.locale import context_locale
from resolvers.mobile import MobileMutation
from resolvers.nodes import NodeQuery
from resolvers.phone_codes import PhoneCodeMutation
from resolvers.reference import AgreementType, ReferenceQuery
from resolvers.registration import RegistrationMutation
from resolvers.security_phone import SecurityPhoneMutation
from resolvers.tickets import ServiceTicketType, TicketMutation
from resolvers.wallet import RemovalMutation, WalletMutation
from services import log_context
from services.i18n.text import tr

log = logging.getLogger("onramp.graphql")

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 4000

Query = merge_types("Query", (NodeQuery, ReferenceQuery, LanguagesQuery, AccountQuery, CardQuery))
Subscription = merge_types("Subscription", (CardBindingSubscription, BillPaymentSubscription))
# The order here is the order of Mutation's fields in the exported schema: the steps' order.
Mutation = merge_types(
    "Mutation",
    (
        RegistrationMutation,
        PhoneCodeMutation,
        SecurityPhoneMutation,
        LanguagesMutation,
        CloudMutation,
        MobileMutation,
        DetailsMutation,
        AccountMessagesMutation,
        CardMutation,
        WalletMutation,
        RemovalMutation,
        PayBillMutation,
        TicketMutation,
    ),
)


def is_unexpected(error: GraphQLError) -> bool:
    """An error raised by our code rather than by validation or on purpose (GraphQLError)."""
    original = error.original_error
    return original is not None and not isinstance(
        original, GraphQLError | InvalidOperationTypeError
    )


def _request_id(execution_context: ExecutionContext | None) -> str:
    context = execution_context.context if execution_context else None
    return getattr(context, "request_id", "-")


SEVERAL = tr("The document holds several operations: name the one to run in operationName.")


class OperationName(SchemaExtension):
    """Which operation runs, once the document is parsed: one extension for both uses.

    A document with several operations runs only the one `operationName` names: Strawberry
    would otherwise run the first one; the GraphQL spec makes it an error.

    The operation is named on the request's trail (services/log_context.py): the log lines
    of its resolvers, the access line, the request's metrics and span. The name the client
    gave goes to logs only; metrics take "<type> <first root field>", which the schema
    bounds (a client could send any number of names).
    """

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            # Strawberry keeps the name the request gave apart from the one it infers.
            given = getattr(context, "_provided_operation_name", None)
            operation = get_operation_ast(document, given)
            if operation is not None:
                selections = operation.selection_set.selections
                first = selections[0] if selections else None
                field = first.name.value if isinstance(first, FieldNode) else "(fragment)"
                log_context.name_operation(
                    operation.name.value if operation.name else None,
                    f"{operation.operation.value} {field}",
                )
            elif given is None:  # validated, so not none: several operations
                context.result = GraphQLExecutionResult(
                    data=None,
                    errors=[
                        GraphQLError(
                            SEVERAL.render(await context_locale(context.context)),
                            extensions={"code": "OPERATION_NAME_REQUIRED"},
                        )
                    ],
                )
        yield


def error_code(error: GraphQLError) -> str:
    """The code an error answers with: its own, or what kind of failure it is."""
    if is_unexpected(error):
        return "INTERNAL_SERVER_ERROR"
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


UNEXPECTED = tr("Unexpected error.")


class MaskUnexpectedErrors(SchemaExtension):
    """Replaces unexpected errors by a generic one, in the reader's language, that carries the
    request id to quote. Masking runs after `process_errors` has logged the originals.

    A query or mutation is masked as its operation ends; a subscription, result by result,
    before each goes out. The reader's language is looked up only when there is something to
    mask.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        await self._mask(self.execution_context.result)

    async def on_stream_result(self, result: StreamExecutionResult) -> AsyncIterator[None]:
        await self._mask(result)
        yield

    async def _mask(self, result: object) -> None:
        # Incremental delivery (@defer, @stream) is not enabled: no other kind of result.
        if not isinstance(result, GraphQLExecutionResult | ExecutionResult):
            return
        errors = result.errors or []
        if not any(is_unexpected(error) for error in errors):
            return
        message = UNEXPECTED.render(await context_locale(self.execution_context.context))
        result.errors = [
            self._anonymised(error, message) if is_unexpected(error) else error for error in errors
        ]

    def _anonymised(self, error: GraphQLError, message: str) -> GraphQLError:
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": _request_id(self.execution_context),
            },
        )


class OnrampSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        services = getattr(context, "services", None)
        for error in errors:
            if services is not None:
                services.metrics.graphql_errors.labels(error_code(error), "response").inc()
            # Expected errors (validation, UNAUTHENTICATED, NOT_FOUND) are answers, not incidents.
            if is_unexpected(error):
                log.error(
                    "unexpected error in %s (request %s)",
                    ".".join(str(p) for p in error.path or ()) or "operation",
                    _request_id(execution_context),
                    exc_info=error.original_error,
                )


# The limits' rule classes are built once: the validation cache is keyed by the rules, so
# rules made afresh for every request would never let it hit.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]
# Distinct documents remembered, parsed and validated; a public endpoint bounds them.
CACHED_DOCUMENTS = 256


def _extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        OperationName,
        MaskUnexpectedErrors,
    ]


def build_schema() -> OnrampSchema:
    return OnrampSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[
            AgreementType,
            AccountType,
            AccountMessageType,
            CardBindingAttemptType,
            PaymentCardType,
            ServiceTicketType,
            BillType,
            BillPaymentType,
        ],
        extensions=_extensions(),
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
