"""What changed in who can reach each domain's data between two cloud assemblies (issue #22).

Both sides are reported the way ``cdk-partition report`` reports them (:func:`build_report`, or
:func:`build_org_report` for several assemblies or Stages in several environments) and audited the
way ``cdk-partition audit`` audits them; the diff compares those models, so it says what the
report says:

* **access**: per principal (matched by the ARN the report evaluated, never by construct path)
  and capability, its form before and after: ``yes``, ``via <service>`` (only through an AWS
  service, ``kms:ViaService``), ``via the service`` (a service-gated store's readers), ``only
  when ...`` (only under conditions the report's requests do not carry), ``?`` (undecidable) or
  nothing. Nothing -> anything is *gained*, ``via`` -> ``yes`` or a new service
  is *widened*, the reverse *narrowed* or *lost*;
* **stores** added, removed, *left its key* (it was on the domain key and now has a ``CDKP001``-
  ``CDKP005`` / ``CDKP010`` finding) or *joined the key*; a store removed and one added of the same
  type, key and gates is *renamed* (a construct moved in the tree: no access change);
* **key-policy statements** added, removed or changed (by Sid), with the capabilities they touch,
  and the AWS services the policy names;
* **findings** new and fixed (by rule, assembly, construct path and property), and
  **exemptions** (``cdk_partition:exemptions`` metadata) added, removed or changed.

Each :class:`Change` has an ``effect``: ``widened`` (someone may do more, a store left its key, a
new error finding, a new or wider exemption), ``narrowed``, ``changed`` (neither, such as a new
warning or a store added on the key) or ``renamed`` (no change at all, listed for the reviewer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from ..audit import Finding, organization
from ..knowledge.capabilities import DEFINING_ACTIONS, Capability
from . import spans_environments
from .access import conditional_text
from .diff_side import NO_DOMAIN, Side, load_side, norm

Effect = Literal["widened", "narrowed", "changed", "renamed"]
FailOn = Literal["none", "errors", "widened", "any"]
FAIL_ON: tuple[FailOn, ...] = ("none", "errors", "widened", "any")

#: The rules that say a store is not on its domain's key (a store with one has left the key).
KEY_RULES = frozenset({"CDKP001", "CDKP002", "CDKP003", "CDKP004", "CDKP005", "CDKP010"})
_CAPABILITIES = [c.value for c in Capability]


@dataclass(frozen=True)
class Change:
    """One entry of the diff."""

    domain: str
    kind: str
    """``access-gained``, ``access-lost``, ``access-widened``, ``access-narrowed``,
    ``store-added``, ``store-removed``, ``store-renamed``, ``store-left-key``,
    ``store-joined-key``, ``statement-added``, ``statement-removed``, ``statement-changed``,
    ``service-added``, ``service-removed``, ``service-changed``, ``finding-new``,
    ``finding-fixed``, ``finding-moved``, ``finding-exempted``, ``finding-unexempted``, ``exemption-added``,
    ``exemption-removed``, ``exemption-changed``, ``domain-added``, ``domain-removed``."""
    effect: Effect
    subject: str
    """The principal, store path, statement Sid, service or finding the entry is about."""
    message: str
    capability: str | None = None
    before: Any = None
    after: Any = None
    file: str | None = None
    """The template the entry is about (the key's, the store's), for SARIF locations."""
    error: bool = False
    """A new error finding (not exempted): what ``--fail-on errors`` fails on."""
    key: str | None = None
    """What the fingerprint names instead of ``subject`` when that holds an assembly's path
    (which differs between checkouts): the assembly's position."""

    @property
    def fingerprint(self) -> str:
        """Stable over runs and unrelated changes: domain, kind, subject and capability."""
        subject = self.key or self.subject
        text = "|".join([self.domain, self.kind, subject, self.capability or ""])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        out = {
            "domain": self.domain,
            "kind": self.kind,
            "effect": self.effect,
            "subject": self.subject,
            "capability": self.capability,
            "message": self.message,
            "before": self.before,
            "after": self.after,
            "fingerprint": self.fingerprint,
        }
        return out | ({"error": True} if self.error else {})


@dataclass
class Diff:
    before: list[str]
    after: list[str]
    changes: list[Change] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {"widened": 0, "narrowed": 0, "changed": 0, "renamed": 0}
        for change in self.changes:
            out[change.effect] += 1
        return out

    def fails(self, fail_on: FailOn) -> bool:
        """Whether ``--fail-on`` fails: ``errors`` on a new error finding, ``widened`` on any
        widening, ``any`` on any entry but a rename, ``none`` never."""
        if fail_on == "errors":
            return any(c.error for c in self.changes)
        if fail_on == "widened":
            return any(c.effect == "widened" for c in self.changes)
        if fail_on == "any":
            return any(c.effect != "renamed" for c in self.changes)
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "summary": self.counts(),
            "changes": [c.to_json() for c in self.changes],
        }


# -- comparing ------------------------------------------------------------------------------------
Form = tuple[str, tuple[str, ...]]


def service_short(via: str) -> str:
    """``secretsmanager.${AWS::Region}.amazonaws.com`` -> ``secretsmanager``."""
    return via.split(".", 1)[0] if via.endswith(".amazonaws.com") else via


def form(row: Mapping[str, Any] | None, capability: str) -> Form | None:
    """How ``row`` holds ``capability``, as the report's matrix cell says it."""
    if row is None:
        return None
    if capability in row.get("capabilities", []):
        return ("yes", ())
    via = (row.get("via_services") or {}).get(capability)
    if via:
        return ("via", tuple(sorted(service_short(v) for v in via)))
    if capability in (row.get("via_the_service") or []):
        return ("via the service", ())
    conditional = (row.get("conditional") or {}).get(capability)
    if conditional:
        return ("conditional", (conditional_text(conditional),))
    if row.get("undecidable") or capability in (row.get("conditions_undecidable") or {}):
        return ("?", ())
    return None


def form_text(value: Form | None) -> str:
    if value is None:
        return "-"
    kind, services = value
    if kind == "conditional":
        return services[0]
    return f"via {', '.join(services)}" if kind == "via" else kind


def _compare_forms(old: Form | None, new: Form | None) -> tuple[str, Effect] | None:
    if old == new:
        return None
    if old is None:
        return "access-gained", "widened"
    if new is None:
        return "access-lost", "narrowed"
    if new[0] == "?":
        return "access-widened", "widened"  # not provably within what it was
    if old[0] == "?":
        return "access-narrowed", "changed"
    rank = {"via": 1, "via the service": 1, "conditional": 1, "yes": 2}
    if rank[new[0]] != rank[old[0]]:
        return (
            ("access-widened", "widened")
            if rank[new[0]] > rank[old[0]]
            else (
                "access-narrowed",
                "narrowed",
            )
        )
    if set(new[1]) - set(old[1]):
        return "access-widened", "widened"
    return "access-narrowed", "narrowed"


def _principal_key(label: str, row: Mapping[str, Any]) -> str:
    return str(row["arn"]) if row.get("kind") == "named" and row.get("arn") else label


def _rows(domain: Mapping[str, Any] | None) -> dict[str, tuple[str, dict[str, Any]]]:
    principals = (domain or {}).get("principals") or {}
    return {_principal_key(label, row): (label, row) for label, row in principals.items()}


def touched(statement: Mapping[str, Any]) -> list[str]:
    """The capabilities a statement's actions touch (wildcards and ``NotAction`` included)."""

    def listed(key: str) -> list[str]:
        value = statement.get(key)
        return [value] if isinstance(value, str) else [str(v) for v in value or []]

    def matches(action: str, patterns: list[str]) -> bool:
        return any(fnmatchcase(action.lower(), p.lower()) for p in patterns)

    actions, not_actions = listed("Action"), listed("NotAction")
    out = []
    for capability in Capability:
        defining = DEFINING_ACTIONS[capability]
        if any(matches(a, actions) for a in defining) or (
            "NotAction" in statement and any(not matches(a, not_actions) for a in defining)
        ):
            out.append(capability.value)
    return out


def _store_key(store: Mapping[str, Any]) -> tuple[str, str]:
    return (str(store.get("assembly", "")), str(store["path"]))


def _twin(store: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a renamed store keeps: its type, key, gates and where it lives."""
    return tuple(
        store.get(k)
        for k in ("type", "key_gates", "iam_permission", "key", "account", "region", "assembly")
    )


class _Builder:
    def __init__(self, before: Side, after: Side) -> None:
        self.before, self.after = before, after
        self.changes: list[Change] = []
        self.renamed: dict[tuple[str, str], str] = {}  # (assembly, old path) -> new path
        self.renamed_ids: dict[str, str] = {}  # old logical id -> new logical id
        self.index = {label: i for i, label in enumerate(after.labels)}

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.changes.append(Change(*args, **kwargs))

    def file(self, side: Side, label: str, stack: str | None) -> str | None:
        return side.files.get((label, stack or ""))

    def key_file(self, side: Side, domain: Mapping[str, Any] | None) -> str | None:
        key = (domain or {}).get("_key")
        return self.file(side, key[0], key[1]) if key else None

    def run(self) -> list[Change]:
        ids = list(dict.fromkeys([*self.before.domains, *self.after.domains]))
        for ident in ids:  # stores first: renames feed statements and findings
            self.stores(ident)
        for ident in ids:
            old, new = self.before.domains.get(ident), self.after.domains.get(ident)
            if old is None or new is None:
                what = "added" if old is None else "removed"
                self.add(ident, f"domain-{what}", "changed", ident, f"domain {ident} {what}",
                         file=self.key_file(self.after if old is None else self.before, new or old))  # fmt: skip
            self.access(ident, old, new)
            self.statements(ident)
            self.services(ident, old, new)
        self.findings()
        self.exemptions()
        order = {ident: i for i, ident in enumerate(sorted(ids))}
        return sorted(self.changes, key=lambda c: (order.get(c.domain, len(order)), c.domain))

    def access(
        self, ident: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        before, after = _rows(old), _rows(new)
        file = self.key_file(self.after if new else self.before, new or old)
        for key in dict.fromkeys([*before, *after]):
            old_label, old_row = before.get(key, ("", None))
            label, row = after.get(key, (old_label, None))
            for capability in _CAPABILITIES:
                was, now = form(old_row, capability), form(row, capability)
                verdict = _compare_forms(was, now)
                if verdict is None:
                    continue
                kind, effect = verdict
                text = {
                    "access-gained": f"{label} gained {capability} ({form_text(now)})",
                    "access-lost": f"{label} lost {capability} (was {form_text(was)})",
                }.get(kind, f"{label}: {capability} {form_text(was)} -> {form_text(now)}")
                self.add(ident, kind, effect, key, text, capability, form_text(was), form_text(now), file)  # fmt: skip

    def stores(self, ident: str) -> None:
        old_domain = self.before.domains.get(ident) or {}
        new_domain = self.after.domains.get(ident) or {}
        old = {_store_key(s): s for s in old_domain.get("stores", [])}
        new = {_store_key(s): s for s in new_domain.get("stores", [])}
        removed = [k for k in old if k not in new]
        added = [k for k in new if k not in old]
        left = {k for k in removed if self._off_key(self.after, k)}
        joined = {k for k in added if self._off_key(self.before, k)}
        pool = [k for k in added if k not in joined]
        for key in removed:
            store = old[key]
            file = self.file(self.before, key[0], store.get("stack"))
            if key in left:
                rules = self._off_key(self.after, key)
                self.add(ident, "store-left-key", "widened", key[1],
                         f"{store['type']} {key[1]} left the domain key ({', '.join(rules)})",
                         file=file)  # fmt: skip
                continue
            twin = next((k for k in pool if _twin(new[k]) == _twin(store)), None)
            if twin is not None:
                pool.remove(twin)
                self.renamed[key] = twin[1]
                self.renamed_ids[str(store.get("logical_id"))] = str(new[twin].get("logical_id"))
                self.add(ident, "store-renamed", "renamed", twin[1],
                         f"{store['type']} {key[1]} is now {twin[1]} (same key and gates)",
                         before=key[1], after=twin[1], file=file)  # fmt: skip
            else:
                self.add(ident, "store-removed", "changed", key[1],
                         f"{store['type']} {key[1]} removed from the domain key", file=file)  # fmt: skip
        for key in added:
            if key not in joined and key not in pool:
                continue  # matched as a rename
            store = new[key]
            file = self.file(self.after, key[0], store.get("stack"))
            if key in joined:
                self.add(ident, "store-joined-key", "narrowed", key[1],
                         f"{store['type']} {key[1]} is now on the domain key", file=file)  # fmt: skip
            else:
                self.add(ident, "store-added", "changed", key[1],
                         f"{store['type']} {key[1]} added on the domain key", file=file)  # fmt: skip

    def _off_key(self, side: Side, key: tuple[str, str]) -> list[str]:
        return sorted(
            {rule for (a, rule, path, _), _f in side.findings.items()
             if a == key[0] and path == key[1] and rule in KEY_RULES}
        )  # fmt: skip

    def _renamed_text(self, value: Any) -> Any:
        if not self.renamed_ids:
            return value
        text = json.dumps(value)
        for old, new in self.renamed_ids.items():
            text = text.replace(old, new)
        return json.loads(text)

    def statements(self, ident: str) -> None:
        old = self._renamed_text(self.before.statements.get(ident, {}))
        new = self.after.statements.get(ident, {})
        file = self.key_file(self.after, self.after.domains.get(ident))
        for sid in dict.fromkeys([*old, *new]):
            was, now = old.get(sid), new.get(sid)
            if was == now:
                continue
            statement = now or was or {}
            caps = (
                touched(statement)
                if now is None or was is None
                else sorted(set(touched(now)) | set(touched(was)), key=_CAPABILITIES.index)
            )
            what = "added" if was is None else "removed" if now is None else "changed"
            touching = f" (touches {', '.join(caps)})" if caps else ""
            self.add(ident, f"statement-{what}", "changed", sid,
                     f"key-policy statement {sid} {what}{touching}", ", ".join(caps) or None,
                     was, now, file)  # fmt: skip

    def services(
        self, ident: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        def entries(domain: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
            return {f"{s['service']} {s.get('sid') or '(no Sid)'}": s
                    for s in (domain or {}).get("services", [])}  # fmt: skip

        before, after = entries(old), entries(new)
        file = self.key_file(self.after if new else self.before, new or old)
        for key in dict.fromkeys([*before, *after]):
            was, now = before.get(key), after.get(key)
            if was == now:
                continue
            if was is None:
                self.add(ident, "service-added", "widened", key, f"AWS service statement {key} added", after=now, file=file)  # fmt: skip
            elif now is None:
                self.add(ident, "service-removed", "narrowed", key, f"AWS service statement {key} removed", before=was, file=file)  # fmt: skip
            else:
                wider = set(now.get("actions") or []) - set(was.get("actions") or []) or set(
                    was.get("condition_keys") or []
                ) - set(now.get("condition_keys") or [])
                effect: Effect = "widened" if wider else "narrowed"
                self.add(ident, "service-changed", effect, key, f"AWS service statement {key} {effect}", before=was, after=now, file=file)  # fmt: skip

    def _rekey(self, key: tuple[str, ...]) -> tuple[str, ...]:
        new = self.renamed.get((key[0], key[2]))
        return key if new is None else (key[0], key[1], new, *key[3:])

    def findings(self) -> None:
        old = {self._rekey(k): v for k, v in self.before.findings.items()}
        new = self.after.findings
        moved = self._moved(old, new)
        for key in dict.fromkeys([*old, *new]):
            was, now = old.get(key), new.get(key)
            if key in moved:
                continue
            ident, f = now or was  # type: ignore[misc]
            side = self.after if now else self.before
            file = self.file(side, key[0], f.stack) or f.template_path
            where = f"{f.rule} {norm(f.path)}" + (f" {f.location}" if f.location else "")
            subject = f"{key[0]}:{where}" if key[0] else where
            ident_key = f"#{self.index.get(key[0], -1)}:{where}" if key[0] else None
            if was is None:
                error = f.severity == "error" and not f.exempted
                effect: Effect = "widened" if error else "changed"
                self.add(ident, "finding-new", effect, subject, f"new {f.severity}{' (exempted)' if f.exempted else ''} {f.rule}: {f.message}", error=error, file=file, key=ident_key)  # fmt: skip
            elif now is None:
                self.add(ident, "finding-fixed", "narrowed" if f.severity == "error" else "changed", subject, f"fixed {f.severity} {f.rule} at {norm(f.path)}", file=file, key=ident_key)  # fmt: skip
            elif was[1].exempted != now[1].exempted:
                kind, effect = (
                    ("finding-exempted", "widened")
                    if now[1].exempted
                    else ("finding-unexempted", "narrowed")
                )
                text = f"{f.rule} at {norm(f.path)} is {'now exempted' if now[1].exempted else 'no longer exempted'}"  # fmt: skip
                error = f.severity == "error" and not now[1].exempted  # it fails again
                self.add(ident, kind, effect, subject, text, before=was[1].reason, after=now[1].reason, file=file, error=error, key=ident_key)  # fmt: skip
        self._report_findings()

    def _moved(
        self,
        old: Mapping[tuple[str, ...], tuple[str, Finding]],
        new: Mapping[tuple[str, ...], tuple[str, Finding]],
    ) -> set[tuple[str, ...]]:
        """Findings fixed at one path and new at another on a resource of the same type, with the
        same property value: the resource was renamed (a store off its key is in no store list)."""

        def twin(key: tuple[str, ...], entry: tuple[str, Finding]) -> tuple[Any, ...]:
            f = entry[1]
            return (key[0], key[1], key[3], entry[0], f.resource_type, f.value, f.exempted)

        pool = {k: twin(k, v) for k, v in new.items() if k not in old}
        out: set[tuple[str, ...]] = set()
        for key, entry in old.items():
            if key in new:
                continue
            match = next((k for k, t in pool.items() if t == twin(key, entry)), None)
            if match is None:
                continue
            del pool[match]
            out |= {key, match}
            self.renamed[(key[0], key[2])] = match[2]
            ident, f = entry
            self.add(ident, "finding-moved", "renamed", f"{f.rule} {match[2]}",
                     f"{f.rule} of {key[2]} is now at {match[2]} (renamed)",
                     before=key[2], after=match[2])  # fmt: skip
        return out

    def _report_findings(self) -> None:
        old, new = self.before.report_findings, self.after.report_findings
        for key in dict.fromkeys([*old, *new]):
            if (key in old) == (key in new):
                continue
            ident, rule, message = key
            f = new.get(key) or old[key]
            if key in new:
                error = f["severity"] == "error"
                self.add(ident, "finding-new", "widened" if error else "changed", f"{rule} {message}", f"new {f['severity']} {rule}: {message}", error=error)  # fmt: skip
            else:
                self.add(ident, "finding-fixed", "narrowed" if f["severity"] == "error" else "changed", f"{rule} {message}", f"fixed {f['severity']} {rule}: {message}")  # fmt: skip

    def exemptions(self) -> None:
        old = {
            (k[0], self.renamed.get((k[0], k[1]), k[1]), k[2]): v
            for k, v in self.before.exemptions.items()
        }
        new = self.after.exemptions
        for key in dict.fromkeys([*old, *new]):
            was, now = old.get(key), new.get(key)
            if was == now:
                continue
            label, path, rule = key
            ident = self._domain_of_path(label, path)
            subject = f"{label}:{rule} {path}" if label else f"{rule} {path}"
            fp = f"#{self.index.get(label, -1)}:{rule} {path}" if label else None
            if was is None:
                self.add(ident, "exemption-added", "widened", subject, f"exemption of {rule} added on {path}: {now}", after=now, key=fp)  # fmt: skip
            elif now is None:
                self.add(ident, "exemption-removed", "narrowed", subject, f"exemption of {rule} removed from {path}", before=was, key=fp)  # fmt: skip
            else:
                self.add(ident, "exemption-changed", "changed", subject, f"exemption of {rule} on {path} has a new reason: {now}", before=was, after=now, key=fp)  # fmt: skip

    def _domain_of_path(self, label: str, path: str) -> str:
        for side in (self.after, self.before):
            for (a, _rule, p, _loc), (ident, _f) in side.findings.items():
                if a == label and p == path:
                    return ident
            for ident, domain in side.domains.items():
                if any(s.get("path") == path for s in domain.get("stores", [])):
                    return ident
        return NO_DOMAIN


def _needs_org(members: Sequence[organization.Member]) -> bool:
    return len(members) > 1 or any(spans_environments(m.assembly) for m in members)


def diff_members(before: list[organization.Member], after: list[organization.Member]) -> Diff:
    """The diff of two sets of loaded assemblies. Several assemblies are paired in the order
    given: the i-th before is named by the i-th after's label (so a path that differs between
    the base and head checkouts still matches)."""
    names = [m.label for m in after]
    relabelled = [
        organization.Member(names[i], m.assembly) if i < len(names) else m
        for i, m in enumerate(before)
    ]
    org = _needs_org(before) or _needs_org(after)
    old, new = load_side(relabelled, org), load_side(after, org)
    changes = _Builder(old, new).run()
    return Diff([m.label for m in before], names, changes)


def diff_paths(before: Iterable[str | Path], after: Iterable[str | Path]) -> Diff:
    """:func:`diff_members` of cloud assembly directories or templates."""
    return diff_members(
        organization.load_members(list(before)), organization.load_members(list(after))
    )
