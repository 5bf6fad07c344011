"""Where calls come from: source addresses and user agents, benign and hostile.

Prefixes are real public allocations (AWS, Microsoft-hosted CI runners, consumer ISPs, hosting
providers often rented by attackers), never private or documentation ranges, so that a
geo/ASN lookup sees what it would see in production.
"""

from __future__ import annotations

import random

# AWS address space per region (EC2/Lambda egress): workloads inside AWS call from here.
AWS_PREFIXES = {
    "us-east-1": ("3.80", "3.83", "34.224", "44.192", "52.90", "54.210"),
    "us-west-2": ("34.208", "35.160", "44.224", "52.24", "54.184"),
    "eu-west-1": ("34.240", "52.208", "54.72", "63.32", "99.80"),
    "eu-central-1": ("3.120", "18.184", "35.156", "52.57"),
}
# Hosted CI runners (GitHub Actions runs on Azure) and office / home ISP ranges.
CI_PREFIXES = ("4.175", "20.102", "40.84", "52.176", "13.105")
ISP_PREFIXES = ("73.252", "86.21", "81.2", "92.40", "24.6", "98.207", "31.120", "2.96")
# VPS and residential-proxy ranges typical of attacker infrastructure (not AWS, not private).
HOSTILE_PREFIXES = (
    "45.137",
    "185.220",
    "194.165",
    "91.219",
    "5.188",
    "103.251",
    "146.70",
    "193.29",
    "178.128",
    "159.89",
)

CLI_AGENTS = (
    "aws-cli/2.17.{n} md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off "
    "md/command#{cmd}",
    "aws-cli/2.15.{n} Python/3.11.6 Linux/6.5.0-35-generic exe/x86_64.ubuntu.22 prompt/off "
    "command/{cmd}",
    "aws-cli/2.13.{n} Python/3.11.4 Windows/10 exe/AMD64 prompt/off command/{cmd}",
)
BROWSERS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15",
)
CONSOLE_AGENT = "AWS Internal"
BOTO3 = (
    "Boto3/1.35.{n} md/Botocore#1.35.{n} ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython{env} cfg/retry-mode#legacy "
    "Botocore/1.35.{n}"
)
NODE_SDK = (
    "aws-sdk-js/3.637.0 ua/2.1 os/linux#5.10.225-234.878.amzn2.x86_64 lang/js "
    "md/nodejs#20.17.0 api/{svc}#3.637.0{env}"
)
JAVA_SDK = (
    "aws-sdk-java/2.25.{n} Linux/5.10.224-212.876.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/"
    "21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/"
    "standard"
)
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.{n} (+https://www.terraform.io) "
    "terraform-provider-aws/5.72.{m} (+https://registry.terraform.io/providers/"
    "hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux "
    "md/GOARCH#amd64 api/{svc}#1.36.2"
)
LEGACY_CLI = "aws-cli/1.18.69 Python/2.7.18 Linux/4.14.186-146.268.amzn2.x86_64 botocore/1.17.92"
HOSTILE_AGENTS = (
    "python-requests/2.31.0",
    "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off "
    "command/sts.get-caller-identity",
    "Boto3/1.26.81 Python/3.11.2 Linux/6.1.0-kali7-amd64 Botocore/1.29.81 Pacu/1.5.2",
    "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 "
    "stratus-red-team_4b1e3a0c-2f7e-4d8b-9e4a-6c9d1f2a7b3e",
    "curl/8.5.0",
)


def ip_in(rng: random.Random, prefixes: tuple[str, ...]) -> str:
    """A host address in one of ``prefixes`` (two octets each)."""
    return f"{rng.choice(prefixes)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"


def aws_ip(rng: random.Random, region: str) -> str:
    """An address inside AWS's public space for ``region``."""
    return ip_in(rng, AWS_PREFIXES.get(region, AWS_PREFIXES["us-east-1"]))


def cli_agent(rng: random.Random, command: str = "sts.get-caller-identity") -> str:
    """One person's aws-cli build (the command part varies call to call in real logs)."""
    return rng.choice(CLI_AGENTS).format(n=rng.randrange(1, 40), cmd=command)


def boto3_agent(rng: random.Random, env: str = "") -> str:
    """A Boto3 user agent; ``env`` like ``exec-env/AWS_Lambda_python3.12``."""
    return BOTO3.format(n=rng.randrange(1, 60), env=f" {env}" if env else "")


def hostile_agent(rng: random.Random) -> str:
    """A user agent an attack tool leaves behind (kali, Pacu, python-requests, stratus)."""
    return rng.choice(HOSTILE_AGENTS)
