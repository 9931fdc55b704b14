"""Callback destinations: every refused spelling at upload and after resolution, the allow-list,
and delivery to the checked address only (real resolver, real local HTTP servers, no mocks)."""
from __future__ import annotations

import ipaddress
import socket

import pytest
from pydantic import ValidationError

from callback_receivers import receiver

from intake.callback_destinations import (CallbackPolicy, CallbackTarget, DestinationRefused, address_refusal,
                                          parse_callback_url, resolve_destination)
from intake.callbacks import CallbackFailed, post_callback, post_to_addresses
from intake.settings import Settings

STRICT = CallbackPolicy()

# Each: a URL a caller might send, and what the refusal must say.
REFUSED_AT_UPLOAD = {
    "decimal loopback": ("https://2130706433/hook", "loopback"),
    "hex short loopback": ("https://0x7f.1/hook", "loopback"),
    "octal loopback": ("https://017700000001/hook", "loopback"),
    "octal dotted loopback": ("https://0177.0.0.01/hook", "loopback"),
    "short loopback": ("https://127.1/hook", "loopback"),
    "hex loopback": ("https://0x7f000001/hook", "loopback"),
    "plain loopback with port": ("https://127.0.0.1:6379/", "loopback"),
    "zero": ("https://0/", "unspecified"),
    "ipv6 loopback": ("https://[::1]/", "loopback"),
    "ipv6 unspecified": ("https://[::]/", "unspecified"),
    "ipv4-mapped loopback": ("https://[::ffff:127.0.0.1]/", "loopback"),
    "ipv4-mapped loopback, hex": ("https://[::ffff:7f00:1]/", "loopback"),
    "ipv4-mapped private": ("https://[::ffff:10.0.0.1]/", "private"),
    "nat64 loopback": ("https://[64:ff9b::7f00:1]/", "loopback"),
    "6to4 private": ("https://[2002:c0a8:0101::1]/", "private"),
    "ipv4-compatible": ("https://[::7f00:1]/", "reserved"),
    "localhost": ("https://localhost/", "loopback"),
    "localhost, trailing dot, upper case": ("https://LOCALHOST./", "loopback"),
    "a .localhost name": ("https://hooks.localhost/", "loopback"),
    "private 10/8": ("https://10.1.2.3/", "private"),
    "private 172.16/12": ("https://172.31.255.1/", "private"),
    "private 192.168/16": ("https://192.168.1.1/", "private"),
    "carrier-grade NAT": ("https://100.64.0.1/", "shared"),
    "link-local": ("https://169.254.1.1/", "link-local"),
    "aws/gcp/azure metadata": ("https://169.254.169.254/latest/meta-data/", "metadata"),
    "aws metadata, decimal": ("https://2852039166/latest/meta-data/", "metadata"),
    "aws metadata over ipv6": ("https://[fd00:ec2::254]/", "metadata"),
    "azure wireserver": ("https://168.63.129.16/", "metadata"),
    "alibaba metadata": ("https://100.100.100.200/", "metadata"),
    "ipv6 link-local": ("https://[fe80::1]/", "link-local"),
    "ipv6 zone id": ("https://[fe80::1%25eth0]/", "zone"),
    "ipv6 unique-local": ("https://[fd12:3456::1]/", "unique-local"),
    "ipv4 multicast": ("https://224.0.0.251/", "multicast"),
    "ipv6 multicast": ("https://[ff02::1]/", "multicast"),
    "broadcast": ("https://255.255.255.255/", "reserved"),
    "reserved 240/4": ("https://240.0.0.1/", "reserved"),
    "documentation range": ("https://192.0.2.10/", "reserved"),
    "teredo": ("https://[2001:0:4136:e378::1]/", "reserved"),
    "numeric junk": ("https://example.123/", "not a valid address"),
    "credentials": ("https://user:secret@example.com/hook", "credentials"),
    "user only": ("https://user@example.com/hook", "credentials"),
    "credentials before another host": ("https://example.com@10.0.0.1/", "credentials"),
    "plain http": ("http://example.com/hook", "https"),
    "another scheme": ("ftp://example.com/hook", "https"),
    "file scheme": ("file:///etc/passwd", "https"),
    "no host": ("https:///hook", "no host"),
    "port zero": ("https://example.com:0/", "port 0"),
    "port out of range": ("https://example.com:70000/", "cannot be parsed"),
    "space in host": ("https://exa mple.com/", "spaces"),
    "backslash": ("https://example.com\\@10.0.0.1/", "backslashes"),
    "percent-encoded host": ("https://%31%32%37.0.0.1/", "not a valid address"),
    "bad label": ("https://-example.com/", "not a valid name"),
}


@pytest.mark.parametrize("case", list(REFUSED_AT_UPLOAD))
def test_refused_at_upload(case):
    url, why = REFUSED_AT_UPLOAD[case]
    with pytest.raises(DestinationRefused) as refused:
        parse_callback_url(url, STRICT)
    assert why in refused.value.reason
    assert url not in refused.value.reason


@pytest.mark.parametrize("url, host, port, target", [
    ("https://hooks.example.com/done?x=1#frag", "hooks.example.com", 443, "/done?x=1"),
    ("https://Hooks.Example.COM.:8443", "hooks.example.com", 8443, "/"),
    ("https://bücher.example/", "xn--bcher-kva.example", 443, "/"),
    ("https://8.8.8.8/cb", "8.8.8.8", 443, "/cb"),
    ("https://[2606:4700:4700::1111]:444/cb", "2606:4700:4700::1111", 444, "/cb"),
    ("https://[::ffff:8.8.8.8]/cb", "::ffff:808:808", 443, "/cb"),
])
def test_public_destinations_pass_the_upload_check(url, host, port, target):
    parsed = parse_callback_url(url, STRICT)
    assert (parsed.host, parsed.port, parsed.target) == (host, port, target)


# Host spellings the system resolver (getaddrinfo) turns into loopback, private or metadata
# addresses: refused after resolution even when a stored URL skipped the upload check.
RESOLVED_SPELLINGS = ["2130706433", "0x7f.1", "017700000001", "127.1", "localhost", "0xa9.0xfe.0xa9.0xfe",
                      "10.1", socket.gethostname()]


@pytest.mark.parametrize("host", RESOLVED_SPELLINGS)
def test_refused_after_resolution(host):
    resolved = {ipaddress.ip_address(a[4][0]) for a in socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)}
    if any(address_refusal(a, STRICT, host_allowed=False) is None for a in resolved):
        pytest.skip(f"{host} resolves to a public address on this machine")
    with pytest.raises(DestinationRefused):
        resolve_destination(CallbackTarget("https", host, 443, "/", None), STRICT)


def test_allow_list_lets_internal_receivers_through_but_not_metadata():
    policy = CallbackPolicy.from_entries(["10.20.0.0/16", "fd12::/16", "hooks.internal", "localhost"])
    assert parse_callback_url("https://10.20.3.4/cb", policy).address == ipaddress.ip_address("10.20.3.4")
    assert parse_callback_url("https://[fd12::7]/cb", policy).host == "fd12::7"
    with pytest.raises(DestinationRefused, match="private"):
        parse_callback_url("https://10.21.0.1/cb", policy)
    assert resolve_destination(parse_callback_url("https://localhost/cb", policy), policy) != []
    # A host on the list may resolve to internal addresses, but never to a metadata service.
    assert address_refusal(ipaddress.ip_address("10.9.9.9"), policy, host_allowed=True) is None
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), policy, host_allowed=True) == \
        "cloud metadata address"
    explicit = CallbackPolicy.from_entries(["169.254.169.254/32"])
    assert address_refusal(ipaddress.ip_address("169.254.169.254"), explicit, host_allowed=False) is None


def test_http_needs_the_development_setting():
    assert parse_callback_url("http://example.com/cb", CallbackPolicy(allow_http=True)).port == 80
    with pytest.raises(DestinationRefused, match="only http and https"):
        parse_callback_url("gopher://example.com/", CallbackPolicy(allow_http=True))


def test_settings_hold_the_policy_and_refuse_a_bad_allow_list_entry(monkeypatch):
    monkeypatch.setenv("INTAKE_CALLBACK_ALLOW", '["10.0.0.0/8", "Hooks.Internal."]')
    monkeypatch.setenv("INTAKE_CALLBACK_ALLOW_HTTP", "true")
    policy = Settings().callback_policy()
    assert policy.allow_http and policy.allowed_hosts == {"hooks.internal"}
    assert policy.allowed_networks == (ipaddress.ip_network("10.0.0.0/8"),)
    monkeypatch.setenv("INTAKE_CALLBACK_ALLOW", '["10.0.0.0/33"]')
    with pytest.raises(ValidationError, match="neither an address, a CIDR nor a host name"):
        Settings()


# ---------------------------------------------------------------- delivery

@pytest.fixture
def local_receiver():
    with receiver() as server:
        yield server


PAYLOAD = {"id": "doc-1", "status": "ready_for_review", "status_url": "https://intake.example/v1/documents/doc-1"}
LOCAL = CallbackPolicy.from_entries(["127.0.0.1/32"], allow_http=True)


def test_the_request_goes_to_the_checked_address_with_the_host_name_in_the_host_header(local_receiver):
    # `.invalid` never resolves (RFC 6761): the POST arriving proves nothing re-resolved the name.
    port = local_receiver.server_port
    target = CallbackTarget("http", "receiver.invalid", port, "/done?ref=7", None)
    assert post_to_addresses(target, [ipaddress.ip_address("127.0.0.1")], b'{"id": "x"}', 5) == 204
    assert local_receiver.received == [{"host": f"receiver.invalid:{port}", "path": "/done?ref=7",
                                        "authorization": None, "body": {"id": "x"}}]


def test_an_allow_listed_receiver_gets_the_callback(local_receiver):
    assert post_callback(f"http://127.0.0.1:{local_receiver.server_port}/done", PAYLOAD, 5, LOCAL) == 204
    assert [r["body"] for r in local_receiver.received] == [PAYLOAD]


def test_a_refused_destination_is_a_permanent_failure_and_nothing_is_sent(local_receiver):
    for url in (f"http://127.0.0.1:{local_receiver.server_port}/done",            # not allow-listed
                f"http://2130706433:{local_receiver.server_port}/done",
                f"http://localhost:{local_receiver.server_port}/done"):
        with pytest.raises(CallbackFailed) as failed:
            post_callback(url, PAYLOAD, 5, CallbackPolicy(allow_http=True))
        assert failed.value.permanent and "loopback" in failed.value.reason
    assert local_receiver.received == []


def test_credentials_are_never_forwarded(local_receiver):
    with pytest.raises(CallbackFailed) as failed:
        post_callback(f"http://user:pw@127.0.0.1:{local_receiver.server_port}/done", PAYLOAD, 5, LOCAL)
    assert failed.value.permanent and "credentials" in failed.value.reason
    assert local_receiver.received == []


def test_redirects_are_not_followed(local_receiver):
    landing = f"http://127.0.0.1:{local_receiver.server_port}/landing"
    with receiver(status=302, location=landing) as redirector:
        with pytest.raises(CallbackFailed) as failed:
            post_callback(f"http://127.0.0.1:{redirector.server_port}/done", PAYLOAD, 5, LOCAL)
        assert failed.value.permanent and "302" in failed.value.reason
        assert len(redirector.received) == 1
    assert local_receiver.received == []


def test_an_unreachable_receiver_is_a_retryable_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(CallbackFailed) as failed:
        post_callback(f"http://127.0.0.1:{closed_port}/done", PAYLOAD, 5, LOCAL)
    assert not failed.value.permanent
