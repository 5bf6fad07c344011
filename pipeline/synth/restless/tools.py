"""Where restless principals call from, and how their tools' user agents look and change.

Prefixes are real public allocations, as in ``network.py``: mobile carriers' carrier-grade NAT
egress, business lines that hotel and conference Wi-Fi hang off, a security service edge's
egress (the corporate VPN), and the clouds hosted CI runners live in.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.identities import Identity

# T-Mobile US (172.32.0.0/11), Verizon Wireless (174.192.0.0/10), AT&T Mobility (166.128.0.0/9).
CARRIER_PREFIXES = ("172.56", "172.58", "174.205", "174.212", "166.199", "166.205")
# Hospitality Wi-Fi and conference venues behind Cogent, Zayo, Comcast Business and Lumen lines.
HOTEL_PREFIXES = ("38.122", "38.140", "64.125", "50.205", "50.226", "65.154")
# A security service edge's egress (Zscaler: 165.225.0.0/16, 136.226.0.0/16).
VPN_PREFIXES = ("165.225", "136.226")
# GitHub-hosted runners run in Azure; every job gets a fresh VM and address.
AZURE_PREFIXES = (
    "4.148", "4.152", "4.175", "13.64", "13.83", "13.105", "20.1", "20.25", "20.42", "20.57",
    "20.102", "20.163", "20.169", "40.78", "40.84", "52.176", "52.225",
)  # fmt: skip
# GitLab.com's hosted runners run in Google Cloud.
GCP_PREFIXES = ("34.23", "34.74", "34.138", "35.185", "35.196", "35.231", "104.196")

LAPTOP_BOTO3 = (
    "Boto3/1.34.{n} md/Botocore#1.34.{n} ua/2.0 os/macos#23.6.0 md/arch#arm64 "
    "lang/python#3.12.{p} md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.{n}"
)
LAPTOP_TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.8.{n} (+https://www.terraform.io) "
    "terraform-provider-aws/5.6{m}.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.30.3 ua/2.1 os/macos lang/go#1.22.5 md/GOOS#darwin md/GOARCH#arm64 "
    "api/sts#1.30.3"
)
_CLI_VERSION = re.compile(r"aws-cli/2\.(\d+)\.(\d+)")
_CLI_COMMAND = "sts.get-caller-identity"  # what ``network.cli_agent`` puts in every build
_CHROMIUM = re.compile(r"(Chrome|Edg)/(\d+)\.0\.0\.0")
_FIREFOX = re.compile(r"(rv:|Firefox/)(\d+)\.0")
_SAFARI = re.compile(r"Version/(\d+)\.(\d+)")
_BOTO3 = re.compile(r"(Boto3|Botocore|md/Botocore#)(/?)1\.(\d+)\.(\d+)")
_TERRAFORM = re.compile(r"Terraform/1\.(\d+)\.(\d+)")
_PROVIDER = re.compile(r"terraform-provider-aws/5\.(\d+)\.(\d+)")
_SDK_API = re.compile(r"api/[a-z0-9-]+#")
# eventSource -> the name the aws-cli and the Go SDK give the service, where they differ.
_CLI_SERVICE = {"monitoring": "cloudwatch", "s3": "s3api", "elasticloadbalancing": "elbv2"}
_SDK_SERVICE = {"monitoring": "cloudwatch", "elasticloadbalancing": "elasticloadbalancingv2"}


def upgraded_cli(agent: str, minors: int, patch: int) -> str:
    """The same aws-cli build ``minors`` minor releases later (patch ``patch``)."""

    def bump(m: re.Match[str]) -> str:
        minor = int(m[1]) + minors
        return f"aws-cli/2.{minor}.{patch if minors else int(m[2]) + patch}"

    return _CLI_VERSION.sub(bump, agent, count=1)


def updated_browser(agent: str) -> str:
    """The browser after its automatic update to the next major version."""
    agent = _CHROMIUM.sub(lambda m: f"{m[1]}/{int(m[2]) + 1}.0.0.0", agent)
    agent = _FIREFOX.sub(lambda m: f"{m[1]}{int(m[2]) + 1}.0", agent)
    return _SAFARI.sub(lambda m: f"Version/{int(m[1]) + 1}.0", agent)


def runner_image(agent: str, weeks: int) -> str:
    """A CI agent after ``weeks`` weekly runner-image updates (newer Boto3, Terraform, provider)."""
    if not weeks:
        return agent
    agent = _BOTO3.sub(lambda m: f"{m[1]}{m[2]}1.{m[3]}.{int(m[4]) + 4 * weeks}", agent)
    agent = _TERRAFORM.sub(lambda m: f"Terraform/1.{m[1]}.{int(m[2]) + (weeks + 1) // 2}", agent)
    return _PROVIDER.sub(lambda m: f"terraform-provider-aws/5.{int(m[1]) + weeks}.0", agent)


def _service(rec: dict[str, Any], names: dict[str, str]) -> str:
    prefix: str = rec["eventSource"].split(".")[0]
    return names.get(prefix, prefix)


def _kebab(name: str) -> str:
    """``DescribeDBInstances`` -> ``describe-db-instances``, as the aws-cli names commands."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name).lower()


def name_the_call(rec: dict[str, Any], cli: str, terraform: str = "") -> None:
    """Write the command into an aws-cli agent and the service into a Terraform one, as both
    tools do on every request (``md/command#ec2.describe-instances``, ``api/ec2#...``)."""
    agent = rec["userAgent"]
    if agent == cli and _CLI_COMMAND in agent:
        command = f"{_service(rec, _CLI_SERVICE)}.{_kebab(api(rec['eventName']).base_name)}"
        rec["userAgent"] = agent.replace(_CLI_COMMAND, command)
    elif terraform and agent == terraform:
        rec["userAgent"] = _SDK_API.sub(f"api/{_service(rec, _SDK_SERVICE)}#", agent)


def with_session(ident: Identity, session: str) -> Identity:
    """The same role under another session name (a new instance, task or CI job): the role id
    stays, the session's ARN and principal id change, its keys are its own."""
    role_id = ident.principal_id.split(":", 1)[0]
    return dataclasses.replace(
        ident,
        arn=f"{ident.arn.rsplit('/', 1)[0]}/{session}",
        principal_id=f"{role_id}:{session}",
        session_name=session,
        _sessions={},
    )
