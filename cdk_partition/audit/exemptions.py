"""Exemptions: a finding about one store that the app exempted, with its reason
(``cdk_partition:exemptions`` metadata, written by :func:`~cdk_partition.exempt`).

The store rules may be exempted on a store (:data:`EXEMPTIBLE_RULES`), and CDKP106 (a service
statement beyond the service's needs) on the domain key itself (:data:`KEY_EXEMPTIBLE_RULES`);
the resource's exemptions are the model's answer
(:meth:`~cdk_partition.assembly.CloudAssembly.exemptions_of`).
"""

from __future__ import annotations

from dataclasses import replace

from ..assembly import CloudAssembly
from ..knowledge.consumers import CONSUMERS_BY_TYPE
from .rules import Finding

__all__ = [
    "EXEMPTIBLE_ON",
    "EXEMPTIBLE_RULES",
    "KEY_EXEMPTIBLE_RULES",
    "apply_exemptions",
    "exempted_rules",
]

#: The rules an exemption may silence: findings about one store, CDKP027 on the identity
#: policy it names (its actions touch no data: the reason says so), CDKP020 on what the audit
#: cannot follow (a mapping on a function outside the app, whose role the app named in the key
#: by hand: the reason says so; an attack found no fix that passed), CDKP033 on the resource
#: delivering into a store (the app verified what AWS does not document), and CDKP034/CDKP035
#: on the resource moving a domain's data on (a share with another domain or account, decided). The domain key's own rules
#: (CDKP1xx), placement, crashes, custom resources aside, and dependency cycles hold for every
#: domain; an exemption of them is ignored (and ``exempt`` refuses it).
EXEMPTIBLE_RULES: frozenset[str] = frozenset(
    {"CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005", "CDKP006", "CDKP008", "CDKP009",
     "CDKP010", "CDKP011", "CDKP014", "CDKP015", "CDKP016", "CDKP020", "CDKP027", "CDKP030",
     "CDKP032",
     "CDKP033", "CDKP034", "CDKP035", "CDKP036",
     "CDKP106"}
)  # fmt: skip
#: The key rules an exemption on the domain key may silence: a service statement the app keeps
#: as AWS documents it although it gives more than the library's contract (CDKP106), with the
#: reason in every report. The other key rules hold for every domain.
KEY_EXEMPTIBLE_RULES: frozenset[str] = frozenset({"CDKP106"})
_KEY_TYPES = ("AWS::KMS::Key", "AWS::KMS::ReplicaKey")
#: Rules exempted only on some resource types: CDKP020 on a resource that makes a role use a
#: store (:data:`cdk_partition.knowledge.consumers.CONSUMERS_BY_TYPE`: a mapping on a function
#: outside the app, a universal target's operation), never on an identity policy, whose later
#: statements the exemption would hide (an attack).
EXEMPTIBLE_ON: dict[str, frozenset[str]] = {"CDKP020": frozenset(CONSUMERS_BY_TYPE)}
_MIN_REASON_WORDS = 4


def _reasons(assembly: CloudAssembly, template_path: str | None, logical_id: str) -> dict[str, str]:
    """Rule -> reason of each exemption the resource carries with its sentence (written by hand
    as metadata, an exemption still needs it: ``exempt()`` asks too)."""
    out: dict[str, str] = {}
    for exemption in assembly.exemptions_of(template_path, logical_id):
        reason = exemption.get("reason") if isinstance(exemption, dict) else None
        if isinstance(reason, str) and len(reason.split()) >= _MIN_REASON_WORDS:
            out.setdefault(str(exemption.get("rule")), reason)
    return out


def exempted_rules(assembly: CloudAssembly, template_path: str | None, logical_id: str) -> set[str]:
    """The rules the resource ``logical_id`` (of the template at ``template_path``) carries an
    exemption of, with its reason (as :func:`apply_exemptions` honours them)."""
    return set(_reasons(assembly, template_path, logical_id))


#: A rule that took over findings of an older one for some types -> that older rule: an SSM
#: parameter was CDKP006 ("check its encryption by hand") before the catalogue answered the
#: check (CDKP032); an exemption the app wrote then, after checking by hand, still holds.
_SUCCEEDS: dict[str, str] = {"CDKP032": "CDKP006"}


def apply_exemptions(finding: Finding, assembly: CloudAssembly) -> Finding:
    """``finding``, exempted when its resource carries an exemption of its rule with a reason
    (or of the rule it took over from, :data:`_SUCCEEDS`)."""
    if finding.rule not in EXEMPTIBLE_RULES:
        return finding
    if (finding.resource_type in _KEY_TYPES) != (finding.rule in KEY_EXEMPTIBLE_RULES):
        return finding  # key rules on keys only, store rules on stores only
    if finding.resource_type not in EXEMPTIBLE_ON.get(finding.rule, (finding.resource_type,)):
        return finding
    reasons = _reasons(assembly, finding.template_path, finding.logical_id)
    for rule in (finding.rule, _SUCCEEDS.get(finding.rule)):
        if rule in reasons:
            return replace(finding, exempted=True, reason=reasons[rule])
    return finding
