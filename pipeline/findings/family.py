"""The family of a principal: who "the same principal" is when an analyst says "suppress similar".

A principal key changes where the behaviour does not, so a suppression rule made from one finding
names the key's family, compared exactly (never a glob, which a chosen role or permission-set name
could widen: `deploy-*` matches `deploy-prod-admin`):

- an Identity Center session is the person under one permission set, in every account
  (`sso:<permission set>/<session name>`: the role's name carries a per-account hash);
- a role is its name without a generated suffix (a number, a hash, a CloudFormation id: the
  peer groups' `role_family`, sql/views/macros.sql), with its path, in every account
  (`role:<path><family>`), so `github-actions-deploy-348` and `-632` are one family and
  `github-actions-deploy-prod-admin` is another;
- a stable role session is that session name of the role family (`role-session:<family>/<name>`);
- anything else (an IAM user, root, a service) is its own key: its account is part of who it is.
"""

from __future__ import annotations

import re

# A role name's generated suffix: the pattern of sql/views/macros.sql's role_family.
_SUFFIX = re.compile(r"[-_]([0-9]+|[0-9a-f]{8,}|[A-Z0-9]{12,13})$")
_SSO = re.compile(r"^AWSReservedSSO_(?P<set>.+)_[0-9a-f]+$")
_ROLE = re.compile(r"^arn:[^:]+:iam::\d{12}:role/(?P<path>(?:.*/)?)(?P<name>[^/]+)$")
_SESSION = re.compile(r"^arn:[^:]+:sts::\d{12}:assumed-role/(?P<role>[^/]+)/(?P<session>.+)$")
_ROOT = re.compile(r"^arn:[^:]+:iam::\d{12}:root$")


def family_of(principal: str) -> str:
    """The family key of a principal key (see the module docstring)."""
    if match := _SESSION.match(principal):
        if sso := _SSO.match(match["role"]):
            return f"sso:{sso['set']}/{match['session']}"
        return f"role-session:{role_family(match['role'])}/{match['session']}"
    if match := _ROLE.match(principal):
        return f"role:{match['path']}{role_family(match['name'])}"
    return principal


def role_family(name: str) -> str:
    """A role's name without its generated suffix (`github-actions-deploy-348` ->
    `github-actions-deploy`); an Identity Center role's permission set."""
    if sso := _SSO.match(name):
        return f"AWSReservedSSO_{sso['set']}"
    return _SUFFIX.sub("", name)


def is_root(principal: str) -> bool:
    """True for an account's root user (`arn:aws:iam::<account>:root`)."""
    return bool(_ROOT.match(principal))
