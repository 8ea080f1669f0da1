"""The rule registry: every rule of the audit, collected from the module of its family.

Each family declares its rules next to the code that decides them; :data:`RULES` lists them in
the order the outputs have always shown them (SARIF's rule list, the validation plugin's rule
names), which is not the order of the families: new rules take the next free id of their
family's range and their place in :data:`ORDER`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .backups import RULES as BACKUP_RULES
from .bucket_puts import RULES as BUCKET_RULES
from .contracts import RULES as CONTRACT_RULES
from .custom_resources import RULES as CUSTOM_RESOURCE_RULES
from .cycles import RULES as CYCLE_RULES
from .egress import RULES as EGRESS_RULES
from .identities import RULES as IDENTITY_RULES
from .integrations import RULES as INTEGRATION_RULES
from .key_policy import RULES as KEY_RULES
from .key_users import RULES as KEY_USER_RULES
from .origin_identities import RULES as ORIGIN_RULES
from .outside import RULES as OUTSIDE_RULES
from .placement import RULES as PLACEMENT_RULES
from .readability import RULES as READABILITY_RULES
from .rules import CRASH, Rule
from .run_roles import RULES as RUN_ROLE_RULES
from .stores import RULES as STORE_RULES
from .topic_subscribers import RULES as TOPIC_RULES
from .trust import RULES as TRUST_RULES

__all__ = ["ORDER", "RULES"]

#: The rule ids in the order of :data:`RULES` (as released: the outputs list rules this way).
ORDER: tuple[str, ...] = (
    "CDKP000",
    "CDKP001",
    "CDKP002",
    "CDKP003",
    "CDKP004",
    "CDKP005",
    "CDKP006",
    "CDKP007",
    "CDKP008",
    "CDKP009",
    "CDKP010",
    "CDKP011",
    "CDKP012",
    "CDKP013",
    "CDKP101",
    "CDKP102",
    "CDKP103",
    "CDKP104",
    "CDKP106",
    "CDKP107",
    "CDKP108",
    "CDKP109",
    "CDKP105",
    "CDKP014",
    "CDKP015",
    "CDKP016",
    "CDKP017",
    "CDKP018",
    "CDKP019",
    "CDKP020",
    "CDKP021",
    "CDKP022",
    "CDKP023",
    "CDKP024",
    "CDKP025",
    "CDKP026",
    "CDKP027",
    "CDKP028",
    "CDKP029",
    "CDKP030",
    "CDKP031",
    "CDKP032",
    "CDKP033",
    "CDKP034",
    "CDKP035",
    "CDKP036",
)


def _collect(order: Iterable[str], *families: Iterable[Rule]) -> dict[str, Rule]:
    """The rules of ``families`` by id, in ``order``; every id declared once and listed once."""
    declared: dict[str, Rule] = {}
    for family in families:
        for rule in family:
            if rule.id in declared:
                raise ValueError(f"rule {rule.id} is declared twice")
            declared[rule.id] = rule
    listed = list(order)
    if sorted(listed) != sorted(declared):
        raise ValueError(
            f"ORDER lists {sorted(set(listed) ^ set(declared))} that no family declares, "
            "or misses a declared rule"
        )
    return {rule_id: declared[rule_id] for rule_id in listed}


#: Every rule of the audit (the organisation's are :data:`~cdk_partition.audit.organization.ORG_RULES`).
RULES: dict[str, Rule] = _collect(
    ORDER,
    (CRASH,),
    STORE_RULES,
    PLACEMENT_RULES,
    BUCKET_RULES,
    CUSTOM_RESOURCE_RULES,
    CYCLE_RULES,
    KEY_RULES,
    KEY_USER_RULES,
    CONTRACT_RULES,
    OUTSIDE_RULES,
    READABILITY_RULES,
    IDENTITY_RULES,
    INTEGRATION_RULES,
    BACKUP_RULES,
    RUN_ROLE_RULES,
    TRUST_RULES,
    ORIGIN_RULES,
    EGRESS_RULES,
    TOPIC_RULES,
)
