"""Reference data the features join on: where an address is (ASN, country) and what an API is for.

Everything here works offline. Addresses are looked up in the tables `geoip2fast` ships inside its
package (country and ASN for IPv4 and IPv6); each distinct address is looked up once and the
answers are kept in the lake's `ip_info` table, so a rerun only looks up addresses it has not seen.
The API category catalogue is data: `sql/reference/api_categories.csv`.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb
import pyarrow as pa

from trailguard.pipeline.sqlfiles import SQL_DIR

API_CATEGORIES_CSV = SQL_DIR / "reference" / "api_categories.csv"
# ASN organisations that are AWS's own address space (EC2, Lambda and service egress).
_AWS_ASN_PREFIXES = ("AMAZON", "AWS")

IP_INFO_SCHEMA = pa.schema(
    [
        ("ip", pa.string()),
        ("country", pa.string()),
        ("asn_name", pa.string()),
        ("network", pa.string()),
        ("inside_aws", pa.bool_()),
        ("is_private", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class IpInfo:
    """What is known offline about one address."""

    ip: str
    country: str | None
    asn_name: str | None
    network: str  # ASN organisation, else the /24 (IPv4) or /48 (IPv6) the address is in
    inside_aws: bool  # AWS address space, or a private address (a call through a VPC endpoint)
    is_private: bool


@cache
def _geoip() -> Any:
    """The geoip2fast reader with ASN data (loaded once, about half a second)."""
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn.dat.gz")


@cache
def _geoip_v6() -> Any:
    from geoip2fast import GeoIP2Fast

    return GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn-ipv6.dat.gz")


def lookup_ip(ip: str) -> IpInfo:
    """Country, ASN organisation and network of an address, from geoip2fast's offline tables."""
    address = ipaddress.ip_address(ip)
    if address.is_private or address.is_loopback or address.is_link_local:
        return IpInfo(ip, None, None, "private", True, True)
    reader = _geoip_v6() if address.version == 6 else _geoip()
    found = reader.lookup(ip)
    country = found.country_code if found.country_code not in ("", "--") else None
    asn_name = found.asn_name or None
    prefix = 24 if address.version == 4 else 48
    block = str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    aws = asn_name is not None and asn_name.upper().startswith(_AWS_ASN_PREFIXES)
    return IpInfo(ip, country, asn_name, asn_name or block, aws, False)


def to_ip_table(ips: Iterable[str]) -> pa.Table:
    """Look up each address (skipping ones that do not parse) as an `ip_info` Arrow table."""
    rows: list[IpInfo] = []
    for ip in ips:
        try:
            rows.append(lookup_ip(ip))
        except ValueError:
            continue  # `source_is_ip` said IP but the text is not one: leave it unenriched
    columns = {name: [getattr(row, name) for row in rows] for name in IP_INFO_SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=IP_INFO_SCHEMA)


def read_api_categories() -> pa.Table:
    """The API category catalogue (event_name -> category) as an Arrow table."""
    with API_CATEGORIES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return pa.Table.from_pydict(
        {
            "event_name": [row["event_name"] for row in rows],
            "category": [row["category"] for row in rows],
        }
    )


def register_reference(con: duckdb.DuckDBPyConnection, ip_info: pa.Table) -> None:
    """Make `ip_info` and `api_categories` queryable on `con` (as registered Arrow views)."""
    con.register("ip_info", ip_info)
    con.register("api_categories", read_api_categories())
