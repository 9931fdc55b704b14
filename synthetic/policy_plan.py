"""Which hard cases each packet of one policy's set carries, so a small set covers every criterion's
outcomes: met, not met and undetermined.

Every third packet is clean (a qualifying disease status and no criterion case, so approvals exist);
each other packet takes the next of the policy's problems: a criterion case (age 26 for an "up to 25"
policy, T-ALL, ALL of unstated lineage, ...) together with, for a policy that reads the disease
status, the next status it does not accept (first relapse, "relapsed" alone, none stated). Every
packet also carries one or two of the reading hard cases, in turn.
"""
from __future__ import annotations

from synthetic.case import compatible
from synthetic.policy_profile import STATUS_TAGS, PolicyProfile


def planned_features(profile: PolicyProfile, index: int) -> set[str]:
    """The hard cases (tags) of packet `index` in `profile`'s set."""
    waiting = list(profile.reading_cases)  # reading cases in turn: one skipped as incompatible goes next
    for number in range(index + 1):
        chosen = _criterion_features(profile, number)
        wanted = 2 if number % 2 == 0 else 1
        taken: list[str] = []
        for candidate in waiting:
            if len(taken) < wanted and compatible(chosen, candidate):
                chosen.add(candidate)
                taken.append(candidate)
        waiting = [case for case in waiting if case not in taken] + taken
    if "form_note_disagreement" in chosen:
        chosen.add("prior_history")
    return chosen


def _criterion_features(profile: PolicyProfile, index: int) -> set[str]:
    """Packet `index`'s disease status (for a policy that reads it) and criterion case, if any."""
    chosen: set[str] = set()
    rule = profile.disease_status
    status_problems = rule.problems() if rule else []
    problems = max(len(status_problems), len(profile.criterion_cases))
    problem = None if index % 3 == 0 or not problems else (index - index // 3 - 1) % problems
    if rule:
        qualifying = rule.qualifying()
        unaccepted = problem is not None and problem < len(status_problems)
        chosen.add(STATUS_TAGS[status_problems[problem] if unaccepted else qualifying[index % len(qualifying)]])
    if problem is not None and problem < len(profile.criterion_cases):
        chosen.add(profile.criterion_cases[problem])
    return chosen
