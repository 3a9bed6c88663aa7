"""The committed schema.graphql is what the code exports, and it keeps the frontend contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api import cli
from resolvers.errors import RefusalsAsErrors
from resolvers.schema import CACHED_DOCUMENTS, export_sdl, schema

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def test_schema_graphql_is_what_the_code_exports() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == export_sdl(), "run `onramp export-schema > schema.graphql`"


def test_export_schema_command_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(cli.parser().parse_args(["export-schema"])) == 0
    assert capsys.readouterr().out == export_sdl()


def test_schema_keeps_the_contract() -> None:
    checker = SHARED / "tools" / "check_contract.py"
    if not checker.is_file():
        pytest.skip(
            "the contract checker lives in ../shared beside the checkout, which this clone "
            "does not have; CI and the team's machines do"
        )
    result = subprocess.run(
        [
            sys.executable,
            str(checker),
            "schema.graphql",
            "--pending",
            "contract-pending.txt",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_mutation_answers_refusals_in_its_payload() -> None:
    """A refusal raised by a service reaches the client as `errors`, for every mutation."""
    mutation = schema.get_type_by_name("Mutation")
    assert mutation is not None
    for field in mutation.fields:
        assert any(isinstance(e, RefusalsAsErrors) for e in field.extensions), field.name
        assert "errors" in {f.name for f in field.type.__strawberry_definition__.fields}


async def test_a_repeated_document_is_parsed_and_validated_once() -> None:
    """The limits' rules are built once, so the validation cache can hit (issue: speed)."""
    from strawberry.extensions.validation_cache import _get_validate_cache

    cache = _get_validate_cache(CACHED_DOCUMENTS)
    document = "{ passwordPolicy { minLength } __typename }"
    await schema.execute(document)
    hits = cache.cache_info().hits
    for _ in range(3):
        result = await schema.execute(document)
        assert result.errors is None
    assert cache.cache_info().hits == hits + 3
