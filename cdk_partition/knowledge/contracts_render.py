"""The contract table as markdown: the docs' "Service contracts" and "What the key allows, and
why" blocks and the cross-account table (generated when the site is built), from
:mod:`cdk_partition.knowledge.contracts`. Pure Python (no aws_cdk import)."""

from __future__ import annotations

from .contracts import (
    CONTRACTS,
    CROSS_ACCOUNT_KEYS,
    LOOKED_UP,
    RUN_TYPES,
    STORE_TYPES,
    WITH_STORES,
    ContractRow,
)

__all__ = ["render_cross_account_markdown", "render_key_allows_markdown", "render_markdown"]


def render_markdown() -> str:
    """The contract table as markdown (the README's *Service contracts* block is this text)."""
    lines = [
        "| store / integration | phase | caller | principal | actions | request context | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in CONTRACTS:
        context = ", ".join(f"`{k}`" for k in row.context) or "none"
        if row.via_grant:
            context += " (through a grant)"
        title, _, url = row.source.rpartition(" (")
        lines.append(
            f"| `{row.store}` | {row.phase} | {row.caller.replace('_', ' ')} | "
            f"`{row.principal}` | {', '.join(f'`{a}`' for a in row.actions)} | {context} | "
            f"[{title.strip()}]({url.rstrip(')')}) |"
        )
    return "\n".join(lines) + "\n"


_CALLERS = {
    "deployment_role": "CloudFormation's deployment role, through the service",
    "capability": "the domain's {principal}s (named in the key policy), through the service",
    "store_role": "the {principal} the CDK creates for the store, through the service",
    "passed_role": "the {principal} (a role the app passes; the key names it when the app does)",
    "service_principal": "the service principal `{principal}`, as itself",
    "service_linked_role": "the service-linked role `{principal}`",
    "infrastructure_role": "the EC2 infrastructure role, through a grant",
}


def _written(row: ContractRow) -> str:
    """How the key lets ``row`` through, in words (:mod:`.contract_shapes`)."""
    from . import contract_shapes

    shape = contract_shapes.shape(row)
    if row.store not in set(STORE_TYPES.values()) | {
        s for extra in WITH_STORES.values() for s in extra.values()
    } and shape in ("service", "via_service"):
        return "the store methods and integrations that name it; else `domain.allow_service`"
    if shape == "service":
        if row.via_grant:
            return "no: a grant authorizes it (the key policy must only not deny it)"
        if not contract_shapes.auto_written(row):
            return "when the app declares it: `domain.allow_service(...)` from this page"
        return "yes (`AllowContract...`, under the row's keys)"
    if shape == "via_service":
        return "yes (`AllowDeploymentViaServices`)"
    if shape == "infrastructure":
        return "yes (the deny exempts it)"
    if shape == "named_by_app":
        if row.store in contract_shapes.WIRED_DEPLOYMENT or (row.caller == "service_linked_role"):
            return (
                "when the app wires it (the key follows the wiring; else "
                f'`domain.allow_integration("{row.store}")`)'
            )
        return "when the app names the principal (`grant_read`/`grant_write`, store methods)"
    if row.caller == "deployment_role":
        refusal = contract_shapes.door_refusal(_type_of(row.store))
        if not refusal:
            return "when the app accepts it: `domain.allow_deployment_requests(type)`"
        return f"never ({refusal}): CDKP107"
    return f"never ({contract_shapes.not_written_reason(row)}): CDKP107"


def _type_of(store: str) -> str:
    return next((t for t, s in STORE_TYPES.items() if s == store), "")


def render_key_allows_markdown() -> str:
    """ "What the key allows, and why": every contract row (what the key policy allows, to whom,
    under which request context) with the AWS page and the AWS words it rests on; then the
    catalogued types with no row, which the key allows nothing beyond the principals the domain
    names (the narrow default): those whose AWS page was read (:data:`LOOKED_UP`, with the page
    and why it gives no row) apart from those not researched. The docs' ``contracts.md`` is
    this text."""
    from . import catalogue

    by_store: dict[str, list[str]] = {}
    for cfn_type, store in {**STORE_TYPES, **RUN_TYPES}.items():
        by_store.setdefault(store, []).append(cfn_type)
    for cfn_type, extra in WITH_STORES.items():
        for path, store in extra.items():
            by_store.setdefault(store, []).append(f"{cfn_type} with {path}")
    lines = [
        "| store / integration | CloudFormation type | when | who calls KMS | the key allows | "
        "under | the domain writes it | AWS page | AWS's words |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in CONTRACTS:
        who = _CALLERS[row.caller].format(principal=row.principal)
        context = ", ".join(f"`{k}`" for k in row.context) or "no condition AWS documents"
        if row.via_grant:
            context += " (a grant; the key policy must only not deny it)"
        title, _, url = row.source.rpartition(" (")
        types = ", ".join(f"`{t}`" for t in by_store.get(row.store, [])) or "(an integration)"
        words = (row.note or "the page's permissions section (no quote kept)").replace("|", "\\|")
        lines.append(
            f"| `{row.store}` | {types} | {row.phase} | {who} | "
            f"{', '.join(f'`{a}`' for a in row.actions)} | {context} | {_written(row)} | "
            f"[{title.strip()}]({url.rstrip(')')}) | {words} |"
        )
    covered = set(STORE_TYPES) | set(RUN_TYPES)
    rest = [t for t in sorted(catalogue.CATALOGUE) if t not in covered]
    looked = [t for t in rest if t in LOOKED_UP]
    unresearched = [t for t in rest if t not in LOOKED_UP]
    found = {"nothing": "AWS documents nothing more", "incomplete": "not enough for a row"}
    lines += [
        "",
        f"**{len(rest)} catalogued types have no row.** For each of them the key allows nothing "
        "beyond the principals the domain names (its readers and writers) and the service "
        "statements above: the narrow default. A request AWS makes for one of them that the "
        "key refuses is a finding of the audit (`CDKP107`, `CDKP019`, `CDKP021`), never "
        "silence; a statement AWS documents for it is added with `domain.allow_service(...)` "
        "and its page. The rows above were read from AWS's pages (and, for pages AWS archived "
        "in 2023, from its documentation repositories, awsdocs on GitHub); the URL is the "
        "live page.",
        "",
        f"**Looked up, no row ({len(looked)}).** The AWS page read for each, and why it gives "
        "no row:",
        "",
        "| CloudFormation type | the page says | AWS page | AWS's words | why no row |",
        "| --- | --- | --- | --- | --- |",
    ]
    for cfn_type in looked:
        entry = LOOKED_UP[cfn_type]
        title, _, url = entry.source.rpartition(" (")
        quote, why = (s.replace("|", "\\|") for s in (entry.quote, entry.why))
        lines.append(
            f"| `{cfn_type}` | {found[entry.found]} | [{title.strip()}]({url.rstrip(')')}) | "
            f"{quote} | {why} |"
        )
    lines += [
        "",
        f"**Not researched ({len(unresearched)}).** No AWS page has been read for these types "
        "yet: whether AWS documents a KMS request for them (at creation, attachment or run "
        "time) is not known to the library, which is not the same as AWS documenting none. "
        "The narrow default above applies to them until they are looked up.",
        "",
        ", ".join(f"`{t}`" for t in unresearched),
    ]
    return "\n".join(lines) + "\n"


def render_cross_account_markdown() -> str:
    """The cross-account table as markdown (the README's block between the
    ``cross-account:start``/``end`` markers is this text)."""
    lines = [
        "| store method | service | key of another account | AWS says | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    verdicts = {True: "accepted", False: "refused", None: "not documented (warns)"}
    for store, row in CROSS_ACCOUNT_KEYS.items():
        title, _, url = row.source.rpartition(" (")
        lines.append(
            f"| `{store}` | {row.service} | {verdicts[row.accepted]} | {row.quote} | "
            f"[{title.strip()}]({url.rstrip(')')}) |"
        )
    return "\n".join(lines) + "\n"
