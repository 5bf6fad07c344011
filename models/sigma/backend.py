"""pySigma's SQLite backend, speaking DuckDB: a Sigma rule as a predicate over the `events` view.

pysigma-backend-sqlite does what a SQL backend must get right: it doubles the quotes of every
string and regular expression it writes, escapes LIKE's wildcards (`_` is common in AWS names),
keeps `not` two-valued when a field is absent (Sigma reads a missing field as no match, SQL as
NULL), expands CIDR values. DuckDB differs from SQLite in a few places, changed here:

- LIKE is case-sensitive in DuckDB; Sigma matches ignore case: ILIKE, and `=` with NOCASE.
- DuckDB has no REGEXP operator: `regexp_matches` (RE2; Sigma's regex is a search, as it is).
- Every field renders as text (`fields.render_field`), so booleans compare as 'true'/'false'.
- The output is the predicate alone: the runner puts every rule's in one scan of the lake.

pysigma-backend-duckdb (0.1.4) was tried first: it needs pySigma < 2, writes a regular
expression into the SQL without doubling its quotes, leaves `_` and `%` of values as wildcards
and lets `not` drop events whose field is absent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.conversion.state import ConversionState
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import TimestampPart

from trailguard.models.sigma.fields import render_field


class DuckDBBackend(sqliteBackend):
    """Sigma rules as DuckDB predicates over the lake's `events` view."""

    name: ClassVar[str] = "trailguard DuckDB (events view)"
    wildcard_match_expression: ClassVar[str] = "{field} ILIKE '{value}' ESCAPE '\\'"
    contains_expression: ClassVar[str] = "{field} ILIKE '%{value}%' ESCAPE '\\'"
    re_expression: ClassVar[str] = "regexp_matches({field}, '{regex}')"
    null_safe_expression: ClassVar[str] = "COALESCE({expr}, false)"
    bool_expression: ClassVar[str] = "{field}={value}"
    field_timestamp_part_expression: ClassVar[str] = (
        "date_part('{timestamp_part}', CAST({field} AS TIMESTAMP))"
    )
    timestamp_part_mapping: ClassVar[dict[TimestampPart, str]] = {
        TimestampPart.MINUTE: "minute",
        TimestampPart.HOUR: "hour",
        TimestampPart.DAY: "day",
        TimestampPart.WEEK: "week",
        TimestampPart.MONTH: "month",
        TimestampPart.YEAR: "year",
    }
    collate_nocase: bool = True

    def __init__(self, processing_pipeline: ProcessingPipeline) -> None:
        # Errors are collected, so that one rule that cannot be converted is one rule skipped.
        super().__init__(processing_pipeline, collect_errors=True)  # type: ignore[no-untyped-call]

    def predicates(self, rule: SigmaRule) -> list[str]:
        """The rule's predicates (one per condition); `errors` says why when there is none."""
        return [str(q) for q in self.convert_rule(rule)]  # type: ignore[no-untyped-call]

    def escape_and_quote_field(self, field: str) -> str:
        """The field's DuckDB expression: a lake column or JSON path, never rule text."""
        return render_field(field)

    def finalize_query_default(
        self, rule: SigmaRule | SigmaCorrelationRule, query: str, index: int, state: ConversionState
    ) -> Any:
        """The predicate, without a SELECT around it."""
        return query
