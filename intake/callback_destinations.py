"""Where a completion callback may go: the destination policy for caller-supplied `callback_url`s.

A callback URL comes from whoever holds an API key, and the worker that POSTs to it sits inside
our network, next to Redis, the database and the cloud's metadata service. So a destination is
refused unless it is a public address (or the operator allow-listed it):

- at upload (`parse_callback_url`): syntax, scheme (https unless INTAKE_CALLBACK_ALLOW_HTTP),
  no credentials, and the host if it is an address literal, in any spelling the system resolver
  accepts (`2130706433`, `0x7f.1`, `017700000001`, `[::ffff:127.0.0.1]`) or a `localhost` name;
- at delivery (`resolve_destination`): the host resolved with getaddrinfo and every address it
  resolves to checked; the caller then connects to one of exactly those addresses, so a second
  DNS answer (rebinding) cannot swap in another.

Reasons name the kind of destination, never the URL: a URL may carry a caller's identifiers.
"""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance-metadata endpoints: credentials for the machine itself. Checked first so the
# reason says so, and refused even for an allow-listed host name (only a CIDR entry lets one in).
_METADATA = tuple(ipaddress.ip_network(n) for n in (
    "169.254.169.254/32",  # AWS, GCP, Azure, OCI, DigitalOcean...
    "169.254.170.2/32",  # AWS ECS task metadata
    "168.63.129.16/32",  # Azure WireServer (a public-looking address)
    "100.100.100.200/32",  # Alibaba Cloud
    "192.0.0.192/32",  # Oracle Cloud (legacy)
    "fd00:ec2::254/128",  # AWS over IPv6
))

# Everything that is not a public unicast destination, with the reason given when refused.
# Python's `is_global` is not enough on its own (3.11 calls ::ffff:8.8.8.8, 64:ff9b::/96 and
# 192.0.0.0/24 global), hence an explicit table; `is_global` stays as a last safety net.
_REFUSED = tuple((ipaddress.ip_network(n), why) for n, why in (
    ("0.0.0.0/8", "unspecified address"), ("10.0.0.0/8", "private address"),
    ("100.64.0.0/10", "shared (carrier-grade NAT) address"), ("127.0.0.0/8", "loopback address"),
    ("169.254.0.0/16", "link-local address"), ("172.16.0.0/12", "private address"),
    ("192.0.0.0/24", "reserved address"), ("192.0.2.0/24", "reserved address"),
    ("192.88.99.0/24", "reserved address"), ("192.168.0.0/16", "private address"),
    ("198.18.0.0/15", "reserved address"), ("198.51.100.0/24", "reserved address"),
    ("203.0.113.0/24", "reserved address"), ("224.0.0.0/4", "multicast address"),
    ("240.0.0.0/4", "reserved address"),  # includes 255.255.255.255
    ("::/128", "unspecified address"), ("::1/128", "loopback address"),
    ("fc00::/7", "unique-local address"), ("fe80::/10", "link-local address"),
    ("fec0::/10", "site-local address"), ("ff00::/8", "multicast address"),
    ("64:ff9b:1::/48", "reserved address"), ("2001::/23", "reserved address"),
    ("2001:db8::/32", "reserved address"), ("3fff::/20", "reserved address"),
))
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # what a resolver would read as a number


class DestinationRefused(ValueError):
    """The callback URL may not be used; `reason` says why without quoting it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DestinationUnresolved(Exception):
    """DNS gave no answer: possibly transient, so retried like a network error."""


@dataclass(frozen=True)
class CallbackPolicy:
    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()  # normalised host names

    @classmethod
    def from_entries(cls, entries: list[str], allow_http: bool = False) -> CallbackPolicy:
        """`entries`: CIDRs or single addresses (`10.20.0.0/16`, `fd12::7`) and host names."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
                continue
            except ValueError:
                pass
            try:
                host = normalise_host_name(entry)
                if _NUMERIC_LABEL.match(host.rsplit(".", 1)[-1]):  # an address spelling, not a name
                    raise DestinationRefused("numeric")
            except DestinationRefused:
                raise ValueError(f"{entry!r} is neither an address, a CIDR nor a host name") from None
            hosts.add(host)
        return cls(allow_http, tuple(networks), frozenset(hosts))

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks if network.version == address.version)


@dataclass(frozen=True)
class CallbackTarget:
    """A parsed, checked callback URL. `address` is set when the host is an address literal."""
    scheme: str
    host: str  # lowercase ASCII name, or the address in its canonical form
    port: int
    target: str  # path and query sent on the request line (a fragment is never sent)
    address: IPAddress | None

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.address, ipaddress.IPv6Address) else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def normalise_host_name(raw: str) -> str:
    """Lowercase IDNA (punycode) form without a trailing dot; DestinationRefused if not a host name."""
    name = raw.strip()
    name = name[:-1] if name.endswith(".") else name  # the root label: same host
    try:
        name = name.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise DestinationRefused("the host is not a valid name") from exc
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise DestinationRefused("the host is not a valid name")
    return name


def parse_callback_url(url: str, policy: CallbackPolicy) -> CallbackTarget:
    """Everything that can be checked without DNS; raises DestinationRefused."""
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in url):
        raise DestinationRefused("the URL holds spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused("the URL cannot be parsed") from exc
    if parts.scheme != "https" and not (parts.scheme == "http" and policy.allow_http):
        raise DestinationRefused("only https URLs are accepted" if not policy.allow_http
                                 else "only http and https URLs are accepted")
    if "@" in parts.netloc:
        raise DestinationRefused("credentials in the URL are not accepted")
    if port == 0:
        raise DestinationRefused("port 0 is not a destination")
    host, address = _host(parts.netloc, parts.hostname)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    checked = CallbackTarget(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), target, address)
    if address is not None:
        _check_address(address, policy, host_allowed=False)
    elif _is_localhost(host) and host not in policy.allowed_hosts:
        # Resolves to loopback by definition (RFC 6761): refused here rather than at delivery.
        _check_address(ipaddress.IPv4Address("127.0.0.1"), policy, host_allowed=False)
    return checked


def _host(netloc: str, hostname: str | None) -> tuple[str, IPAddress | None]:
    if not hostname:
        raise DestinationRefused("the URL has no host")
    if netloc.startswith("["):  # credentials were refused before, so the host leads
        if "%" in hostname:
            raise DestinationRefused("IPv6 zone identifiers are not accepted")
        try:
            address = ipaddress.IPv6Address(hostname)
        except ValueError as exc:
            raise DestinationRefused("the host is not a valid IPv6 address") from exc
        return str(address), address
    name = hostname.rstrip(".")
    if _NUMERIC_LABEL.match(name.rsplit(".", 1)[-1]):
        # The resolver reads a numeric last label as (part of) an IPv4 address in one of the
        # inet_aton spellings: decimal, octal, hex, 1 to 4 parts. Anything else numeric is junk.
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError as exc:
            raise DestinationRefused("the host is not a valid address") from exc
        return str(address), address
    return normalise_host_name(name), None


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def address_refusal(address: IPAddress, policy: CallbackPolicy, host_allowed: bool) -> str | None:
    """Why a connection to `address` is refused, or None when it may be used."""
    if policy.allows_address(address):
        return None
    if any(address in network for network in _METADATA if network.version == address.version):
        return "cloud metadata address"
    if host_allowed:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = address_refusal(embedded, policy, host_allowed)
            return f"{why} (in IPv6 form)" if why else None
    for network, why in _REFUSED:
        if network.version == address.version and address in network:
            return why
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return "reserved address"
    if not address.is_global:
        return "non-public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches: mapped (::ffff:a.b.c.d, a dual-stack socket
    connects to a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::). The deprecated
    IPv4-compatible ::a.b.c.d is not routed and falls under "reserved"."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _check_address(address: IPAddress, policy: CallbackPolicy, host_allowed: bool) -> None:
    why = address_refusal(address, policy, host_allowed)
    if why is not None:
        raise DestinationRefused(f"refused destination: {why}")


def resolve_destination(target: CallbackTarget, policy: CallbackPolicy) -> list[IPAddress]:
    """The addresses to connect to, in resolver order: every one the host resolves to must pass
    (one bad answer refuses the destination: an attacker may control the order)."""
    if target.address is not None:
        _check_address(target.address, policy, host_allowed=False)
        return [target.address]
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationUnresolved("the host name does not resolve") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonical, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        _check_address(address, policy, host_allowed=target.host in policy.allowed_hosts)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationUnresolved("the host name does not resolve")
    return addresses
