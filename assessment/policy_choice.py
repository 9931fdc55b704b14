"""Which policy judges a packet: the one asked for at upload (or by a reviewer), else the one that
governs the HCPCS code the packet requests, else the configured default when the packet names no
governed code at all. Two policies for the codes read, or none and no default, is not guessed: the
packet is analyzed without criteria and a reviewer picks the policy.
"""
from __future__ import annotations

from dataclasses import dataclass

from extraction.models import AppliedPolicy
from rules.policy import Policy
from rules.registry import PolicyRegistry


class UnknownPolicy(ValueError):
    """A policy id no registered policy has (an upload's or a reviewer's choice)."""


@dataclass(frozen=True)
class PolicyChoice:
    policy: Policy | None
    applied: AppliedPolicy | None
    notice: str | None  # said to the reviewer: how the policy was chosen, or why none was


def choose_policy(registry: PolicyRegistry, codes: list[str], requested: str | None = None,
                  requested_by: str = "upload", default: str | None = None) -> PolicyChoice:
    if requested:
        try:
            entry = registry.get(requested)
        except KeyError:
            raise UnknownPolicy(f"unknown policy {requested!r}; known: {', '.join(registry.ids())}") from None
        return _chosen(entry.policy, requested_by, None)
    matches = registry.for_codes(codes)
    if len(matches) == 1:
        code = next(c for c in codes if c.upper() in {m.upper() for m in matches[0].codes})
        return _chosen(matches[0].policy, f"hcpcs {code}", None)
    if len(matches) > 1:
        ids = ", ".join(m.id for m in matches)
        return PolicyChoice(None, None, f"policy not chosen: the packet's codes ({', '.join(codes)}) match "
                                        f"several policies ({ids}); a reviewer picks one")
    if default:
        entry = registry.get(default)
        said = f" ({', '.join(codes)})" if codes else ""
        return _chosen(entry.policy, "default (no governed code read)",
                       f"policy {entry.id} applied by default: no code the packet names{said} is governed "
                       f"by a registered policy")
    return PolicyChoice(None, None, "policy not chosen: no code the packet names is governed by a registered "
                                    "policy; a reviewer picks one")


def _chosen(policy: Policy, chosen_by: str, notice: str | None) -> PolicyChoice:
    info = policy.policy
    return PolicyChoice(policy, AppliedPolicy(info.id, info.version, info.name, chosen_by, info.basis), notice)
