"""What the generator takes from one policy file: the product a packet requests (brand, INN, HCPCS
code), the age limits and disease statuses its criteria set, and which hard cases leave one of its
criteria not met or undetermined.

Packets for a policy (`python -m synthetic.generate --policy ID`) request its product and are judged
by its criteria (synthetic/truth.py reads the same `Policy`); nothing here names a product.
"""
from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from functools import lru_cache

from extraction.fields_disease import FIRST_RELAPSE, LATER_RELAPSE, REFRACTORY, UNSPECIFIED
from rules.checks import AgeAtLeastCriterion, AgeAtMostCriterion, IsFalseCriterion, IsTrueCriterion, ValueInCriterion
from rules.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from rules.registry import PolicyRegistry
from synthetic import people
from synthetic.phrasings import DataFileError, Vocabulary, load_vocabulary

# The disease statuses a packet can state, as extraction/fields_disease.py names them; None: not stated.
DISEASE_STATUSES = (REFRACTORY, FIRST_RELAPSE, LATER_RELAPSE, UNSPECIFIED)
STATUS_TAGS = {REFRACTORY: "disease_refractory", FIRST_RELAPSE: "disease_first_relapse",
               LATER_RELAPSE: "disease_later_relapse", UNSPECIFIED: "disease_relapse_unspecified",
               None: "disease_status_unstated"}
UNSPECIFIED_LINEAGE = "ALL, lineage unspecified"  # the diagnosis when no page states the lineage
YOUNGEST, OLDEST = 3, 79  # usual ages of a patient when the policy sets no limit on that side
ATTESTATION_FIELDS = {"outpatient_appropriate_attested", "safety_monitoring_attested"}
# Hard cases that can leave a criterion unmet, in the order a policy's set takes them.
CRITERION_CASES = ("birthday_edge_not_met", "t_all", "minor", "over_age_limit", "other_diagnosis",
                   "lineage_unspecified", "prior_history", "prior_trial", "form_note_disagreement",
                   "unchecked_box", "attestation_absent")
# Hard cases of reading that no criterion turns on (the request's own product, other people, ...).
READING_CASES = ("plan_hypothetical", "birthday_edge_met", "family_other_person", "other_person_dob",
                 "label_page", "treatment_date_missing", "negation")


@dataclass(frozen=True)
class RequestedProduct:
    """The product a packet asks for, named as its policy file names it."""
    generic: str  # the policy's `products` (INN)
    brand: str  # the policy's `drug` before its parenthesis: "Kymriah (tisagenlecleucel)" -> Kymriah
    short: str  # the shared vocabulary's short name (tisa-cel)
    hcpcs: str  # the policy's HCPCS code
    indication: str  # the label's indication as an attached excerpt prints it ("" if the policy has none)

    def form_names(self) -> list[str]:
        """How a request form's product line writes it."""
        return [f"{self.brand} ({self.generic})", f"{self.generic} ({self.brand})", self.brand.upper(),
                f"{self.short} ({self.brand})"]

    def subject_values(self) -> dict[str, str]:
        """The {brand}, {generic}, {short} and {code} of a cover sheet's subject line."""
        return {"brand": self.brand, "generic": self.generic, "short": self.short, "code": self.hcpcs}


@dataclass(frozen=True)
class AgeLimits:
    """Completed years on the treatment date that the policy's age criteria require."""
    at_least: int | None
    at_most: int | None

    def birth_date(self, rng: random.Random, features: set[str], treatment: dt.date) -> dt.date:
        """A birth date for the age hard case among `features` (edges are on the lower limit when
        there is one): the limit's birthday on the treatment date or the day after, a patient just
        under the lower limit (`minor`) or over the upper one, else a usual age inside the limits."""
        day_after = treatment + dt.timedelta(days=1)
        if self.at_least is not None:
            if "birthday_edge_met" in features:
                return people.add_years(treatment, -self.at_least)
            if "birthday_edge_not_met" in features:
                return people.add_years(day_after, -self.at_least)
        elif self.at_most is not None:
            if "birthday_edge_met" in features:  # turns at_most + 1 the day after the infusion
                return people.add_years(day_after, -(self.at_most + 1))
            if "birthday_edge_not_met" in features:
                return people.add_years(treatment, -(self.at_most + 1))
        if "minor" in features and self.at_least is not None:
            return people.adult_birth_date(rng, treatment, self.at_least - 2, self.at_least - 1)
        if "over_age_limit" in features and self.at_most is not None:
            return people.adult_birth_date(rng, treatment, self.at_most + 1, self.at_most + 10)
        youngest = YOUNGEST if self.at_least is None else self.at_least + 1
        return people.adult_birth_date(rng, treatment, youngest, OLDEST if self.at_most is None else self.at_most)


@dataclass(frozen=True)
class DiseaseStatusRule:
    """The statuses a policy's disease-status criterion accepts and those it leaves undetermined."""
    values: tuple[str, ...]
    undetermined: tuple[str, ...]

    def qualifying(self) -> list[str]:
        return [s for s in DISEASE_STATUSES if s in self.values]

    def problems(self) -> list[str | None]:
        """Statuses that leave the criterion not met, then undetermined, then none stated."""
        unmet = [s for s in DISEASE_STATUSES if s not in self.values and s not in self.undetermined]
        return [*unmet, *(s for s in DISEASE_STATUSES if s in self.undetermined), None]


@dataclass(frozen=True)
class PolicyProfile:
    policy: Policy
    set_name: str  # the policy file's stem: its packets are split "<split>-<set_name>"
    product: RequestedProduct
    ages: AgeLimits
    disease_status: DiseaseStatusRule | None  # None: the policy does not read the disease status
    extra_hcpcs: tuple[str, ...]  # second codes a form may list: none that another policy governs
    criterion_cases: tuple[str, ...]  # hard cases leaving one of its other criteria not met or undetermined
    reading_cases: tuple[str, ...]  # hard cases none of its criteria turns on

    @property
    def policy_id(self) -> str:
        return self.policy.id


def policy_ids() -> list[str]:
    return PolicyRegistry.load().ids()


@lru_cache(maxsize=None)
def load_profile(policy_id: str | None = None) -> PolicyProfile:
    """The profile of a packaged policy by id; None: the default policy (Aucatzyl)."""
    registry = PolicyRegistry.load()
    entry = registry.get(policy_id or load_policy(DEFAULT_POLICY_PATH).id)
    policy, vocab = entry.policy, load_vocabulary()
    others = {code.upper() for other in registry.entries if other.id != policy.id for code in other.codes}
    criterion_cases = _criterion_cases(policy)
    ages = _age_limits(policy)
    inapplicable = {"minor"} if ages.at_least is None else set()
    inapplicable |= {"over_age_limit"} if ages.at_most is None else set()
    return PolicyProfile(
        policy=policy, set_name=entry.path.stem, product=_requested_product(policy, vocab), ages=ages,
        disease_status=_disease_status_rule(policy),
        extra_hcpcs=tuple(c for c in vocab.extra_hcpcs if c.upper() not in others),
        criterion_cases=tuple(c for c in CRITERION_CASES if c in criterion_cases),
        reading_cases=tuple(c for c in CRITERION_CASES + READING_CASES
                            if c not in criterion_cases and c not in inapplicable))


def _requested_product(policy: Policy, vocab: Vocabulary) -> RequestedProduct:
    generic = policy.policy.products[0]
    brand = policy.policy.drug.split(" (")[0].strip()
    codes = [c.code for c in policy.codes if c.system.upper() == "HCPCS"]
    if generic not in vocab.products or not brand or not codes:
        raise DataFileError(f"policy {policy.id}: needs a product the generator's vocabulary knows "
                            f"({generic!r}), a `drug` naming its brand and an HCPCS code")
    # "KYMRIAH is a CD19-directed ... immunotherapy indicated for the treatment of patients ..." ->
    # "KYMRIAH is indicated for patients ...", as a label excerpt attached to a packet prints it.
    indication = re.sub(r" is an? [^.]*? indicated for the treatment of ", " is indicated for ",
                        policy.policy.fda_indication, count=1)
    return RequestedProduct(generic, brand, vocab.products[generic].short, codes[0], indication)


def _age_limits(policy: Policy) -> AgeLimits:
    lower = [c.years for c in policy.criteria if isinstance(c, AgeAtLeastCriterion)]
    upper = [c.years for c in policy.criteria if isinstance(c, AgeAtMostCriterion)]
    return AgeLimits(max(lower) if lower else None, min(upper) if upper else None)


def _disease_status_rule(policy: Policy) -> DiseaseStatusRule | None:
    for criterion in policy.criteria:
        if isinstance(criterion, ValueInCriterion) and criterion.field == "disease_status":
            return DiseaseStatusRule(tuple(criterion.values), tuple(criterion.undetermined_values))
    return None


def _criterion_cases(policy: Policy) -> set[str]:
    """The hard cases that leave one of the policy's criteria (other than disease status) unmet."""
    cases: set[str] = set()
    for criterion in policy.criteria:
        if isinstance(criterion, ValueInCriterion) and criterion.field == "diagnosis":
            cases |= {"t_all", "other_diagnosis", "lineage_unspecified"}
        elif isinstance(criterion, AgeAtLeastCriterion):
            cases |= {"birthday_edge_not_met", "minor"}
        elif isinstance(criterion, AgeAtMostCriterion):
            cases |= {"birthday_edge_not_met", "over_age_limit"}
        elif isinstance(criterion, IsFalseCriterion) and criterion.field == "prior_car_t":
            cases |= {"prior_history", "prior_trial", "form_note_disagreement"}
        elif isinstance(criterion, IsTrueCriterion) and criterion.field in ATTESTATION_FIELDS:
            cases |= {"unchecked_box", "attestation_absent"}
    return cases
