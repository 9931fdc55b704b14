"""Every policy the service knows, by id: the packaged folder (rules/policies) and any folder the
operator adds. Each TOML file is one policy (rules/policy.py's strict loader); two files with one id,
or a file that does not load, stop the registry with the file named, never a silent skip.

`for_codes` finds the policies that govern a request's HCPCS codes (current codes and the codes they
replaced), so a packet's own request can choose its policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extraction.errors import ConfigurationError
from rules.policy import POLICIES_DIR, Policy, load_policy


@dataclass(frozen=True)
class RegisteredPolicy:
    policy: Policy
    path: Path

    @property
    def id(self) -> str:
        return self.policy.policy.id

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.policy.codes] + [old for c in self.policy.codes for old in c.replaces]


@dataclass(frozen=True)
class PolicyRegistry:
    entries: tuple[RegisteredPolicy, ...]

    @classmethod
    def load(cls, *folders: Path) -> "PolicyRegistry":
        """The packaged policies, then each extra folder's; ids must be unique across all."""
        entries: dict[str, RegisteredPolicy] = {}
        for folder in (POLICIES_DIR, *folders):
            if not Path(folder).is_dir():
                raise ConfigurationError(f"policy folder {folder}: not a directory")
            for path in sorted(Path(folder).glob("*.toml")):
                entry = RegisteredPolicy(load_policy(path), path)
                if entry.id in entries and entries[entry.id].path.resolve() != path.resolve():
                    raise ConfigurationError(f"policy id {entry.id!r} is declared twice: "
                                             f"{entries[entry.id].path} and {path}")
                entries[entry.id] = entry
        return cls(tuple(entries.values()))

    def ids(self) -> list[str]:
        return [entry.id for entry in self.entries]

    def with_file(self, path: Path) -> "PolicyRegistry":
        """This registry plus one policy file outside its folders (a configured default)."""
        entry = RegisteredPolicy(load_policy(path), Path(path))
        if entry.id in self.ids():
            if self.get(entry.id).path.resolve() != Path(path).resolve():
                raise ConfigurationError(f"policy id {entry.id!r} is declared twice: "
                                         f"{self.get(entry.id).path} and {path}")
            return self
        return PolicyRegistry(self.entries + (entry,))

    def get(self, policy_id: str) -> RegisteredPolicy:
        for entry in self.entries:
            if entry.id == policy_id:
                return entry
        raise KeyError(policy_id)

    def for_codes(self, codes: list[str]) -> list[RegisteredPolicy]:
        """Policies governing any of these billing codes; none or several means a person decides."""
        wanted = {code.upper() for code in codes}
        return [entry for entry in self.entries if wanted & {c.upper() for c in entry.codes}]

    def for_products(self, products: list[str]) -> list[RegisteredPolicy]:
        wanted = {p.lower() for p in products}
        return [entry for entry in self.entries if wanted & {p.lower() for p in entry.policy.policy.products}]
