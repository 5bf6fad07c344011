"""Route 53 Resolver query logging deleted or detached: the DNS record of the VPCs stops (Stratus
`dns-delete-logs`)."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    config = event.request.get("resolverQueryLogConfigId") or "?"
    return (
        f"Route 53 Resolver query logging {config} was removed by {event.principal}{where(event)}"
    )


@rule(
    finding_type="DefenseImpairment:Route53Resolver/DisableOrModifyCloudLogs",
    severity=7.0,
    title="DNS query logging deleted",
    event_names=("DeleteResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"),
    attack=("T1562.008",),
    stratus=("aws.defense-evasion.dns-delete-logs",),
    describe=_describe,
)
def dns_query_logging_deleted(event: Event, context: RuleContext) -> bool:
    """A successful deletion or disassociation of a query logging configuration."""
    return event.succeeded
