"""Initial access: a console sign-in nobody expected."""

from __future__ import annotations

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.scenario import Ctx, technique

CONSOLE = "InitialAccess:IAM/CloudAccounts"  # the exact rule console_login_without_mfa


@technique(
    "aws.initial-access.console-login-without-mfa",
    "Console login without MFA",
    calls=("ConsoleLogin",),
    findings=(CONSOLE,),
    victims=("legacy_user",),
)
def console_login_without_mfa(c: Ctx) -> None:
    """An IAM user's password used from a new place, no MFA, then a look around."""
    c.ip = net.ip_in(c.rng, net.HOSTILE_PREFIXES)
    c.ua = c.rng.choice(net.BROWSERS)
    c.t += c.rng.uniform(1, 60)
    if c.loud:
        for _ in range(c.rng.randint(2, 5)):
            c.events.append(
                (c.t, c.fac.console_login(c.ident, c.t, c.ip, c.ua, mfa=False, success=False))
            )
            c.t += c.rng.uniform(3, 20)
    c.events.append((c.t, c.fac.console_login(c.ident, c.t, c.ip, c.ua, mfa=False)))
    for name in ("ListBuckets", "DescribeInstances", "ListUsers", "GetAccountSummary"):
        c.call(name, console=True, gap=(5, 60))
