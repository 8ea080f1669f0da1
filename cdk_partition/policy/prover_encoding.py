"""A key policy as a z3 formula over a symbolic request (the encoding half of the prover).

:func:`encode` turns a canonical key policy (:func:`~.evaluator.prepare`) into an
:class:`Encoding`: z3 variables for one request (:class:`Symbols`) and, per statement, the
formula "this statement applies", then the decision "allowed" in IAM's order (an applicable
``Deny`` wins; an applicable ``Allow`` is needed; account delegation needs the caller's own IAM
policy, ``identity_allows``). The request model is the concrete evaluator's
(:class:`~.evaluator.Request`), so that :meth:`Encoding.request` turns a z3 model back into a
request the evaluator decides again.

What is encoded exactly:

* the action, over every KMS key action of
  :data:`~cdk_partition.knowledge.capabilities.KMS_KEY_ACTIONS` (the Service Authorization
  Reference, "Actions, resources, and condition keys for AWS Key Management Service",
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html);
  each statement's ``Action`` / ``NotAction`` is matched against that finite list;
* the principal: an IAM principal (``principal_arn`` an ``iam`` or ``sts`` ARN of the caller's
  ``account``) or an AWS service (no ARN, no account), every ``Principal`` / ``NotPrincipal``
  form the evaluator reads;
* the keys AWS sets on every request from the principal ("AWS global condition context keys",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
  ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` ("This key is included in the request context
  for all signed requests" -- the prover ties them to the principal, absent for a service
  principal, as the evaluator's :func:`~.evaluator.effective_context` does),
  ``aws:PrincipalIsAWSService`` ("always included": true exactly for a service principal),
  ``aws:PrincipalServiceName`` (present exactly for a service principal) and
  ``kms:CallerAccount`` (AWS KMS Developer Guide, "kms:CallerAccount",
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account:
  the account of the caller: equal to ``aws:PrincipalAccount`` when both are present);
* every other key the policy reads, free: absent or present, single-valued or (when the policy
  reads it with ``ForAnyValue:`` / ``ForAllValues:``) a set of as many values as set conditions
  read it (at least :data:`SET_BOUND`);
* operators: String* (``*`` / ``?`` as z3 regular expressions; IgnoreCase by case-folded
  character classes), Arn* (six components, wildcards within a component), Bool, Null,
  Numeric* and Date* (exact decimals: a value on a grid one decimal finer than the policy's, so
  every strict inequality keeps its witnesses), IpAddress / NotIpAddress (IPv4 and IPv6 as bit
  vectors), each with ``...IfExists`` and the set qualifiers, with the evaluator's missing-key
  table.

IAM policy variables in exact string and ARN comparisons are the request's own values (a term
over the symbols; ``${key, 'default'}`` the default when the key is absent); a variable without
a default joins :attr:`Encoding.unresolved`, which the prover asks about apart.

What is not encoded raises :class:`NotEncodable` naming the statement and the part: IAM policy
variables in ``Like`` patterns and non-string conditions, ``${*}`` ``${?}`` ``${$}``,
``BinaryEquals``, a wildcard ARN pattern
hidden in a CloudFormation placeholder, a key read through two operator families (``Bool`` and
``StringEquals`` on the same key), malformed values (which the evaluator refuses as well).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import z3

from ..knowledge.capabilities import KMS_KEY_ACTIONS
from .canonical import as_text
from .condition_values import ARN, BOOL, DATE, IP, NUMERIC, STRING, Family, Unparsable, glob
from .evaluator import _BASES, CanonicalPolicy, Request, UndecidableError, _parse_operator
from .prover_regex import ARN_SHAPE, SEGMENT, glob_re, literal_ci
from .prover_symbols import (
    _OWNER,
    _POLICY_VARIABLE,
    _PREFIX_PATTERN,
    _ROOT_ARN,
    _VARIABLE_OPERATORS,
    PRINCIPAL_KEYS,
    PRINCIPAL_VARIABLES,
    SET_BOUND,
    SET_LIMIT,
    NotEncodable,
    Symbols,
    _concrete,
    _Key,
    _variables,
    arn_like,
    make_symbols,
    principal_key_facts,
    text_of,
)

__all__ = ["SET_BOUND", "Encoding", "NotEncodable", "Symbols", "arn_like", "encode"]


@dataclass
class Encoding:
    """A policy encoded once: ``allowed`` (the decision), ``applies[i]`` (statement ``i``
    applies, its action included), ``well_formed`` (the request is one AWS could send), and
    the statement names (Sid or ``#index``)."""

    symbols: Symbols
    well_formed: z3.BoolRef
    allowed: z3.BoolRef
    denied: z3.BoolRef
    applies: list[z3.BoolRef]
    effects: list[str]
    names: list[str]
    statements: list[Mapping[str, Any]]
    #: (variable, "it has no value in the request") of each policy variable without a default:
    #: a request where one holds is not decided (AWS: an unresolved variable "might cause the
    #: entire statement to be invalid")
    unresolved: list[tuple[str, z3.BoolRef]] = field(default_factory=list)

    def request(self, model: z3.ModelRef) -> Request:
        """The concrete :class:`~.evaluator.Request` of a z3 model."""
        s = self.symbols

        def text(expr: z3.ExprRef) -> str:
            return text_of(model.eval(expr, model_completion=True))

        def flag(expr: z3.ExprRef) -> bool:
            return z3.is_true(model.eval(expr, model_completion=True))

        service = flag(s.is_service)
        context: dict[str, Any] = {}
        for key in s.keys.values():
            if key.name in PRINCIPAL_KEYS or not flag(key.present):
                continue
            values = [
                _concrete(key, i, model) for i in range(len(key.values)) if flag(key.active[i])
            ]
            context[key.name] = values if key.multi else values[0]
        if not service:
            context["kms:calleraccount"] = text(s.account)
        return Request(
            action=text(s.action),
            principal_arn=None if service else text(s.principal_arn),
            account=None if service else text(s.account),
            service=text(s.service) if service else None,
            context=context,
            identity_allows=flag(s.identity_allows),
        )


def _name(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return repr(sid) if isinstance(sid, str) and sid else f"#{index}"


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class _Builder:
    def __init__(
        self,
        policy: CanonicalPolicy,
        actions: tuple[str, ...] = KMS_KEY_ACTIONS,
        extra_keys: tuple[str, ...] = (),
    ) -> None:
        self.policy = policy
        self.actions = actions
        self.statements = [s for s in _list(policy.get("Statement", []))]
        self.uses: dict[str, set[Family]] = {k.lower(): set() for k in extra_keys}
        self.multi: dict[str, int] = {}  # key -> how many set conditions read it
        self.scale: dict[str, int] = {}
        self.named_arns: set[str] = set()
        self.named_services: set[str] = set()
        self.symbols_made: Symbols | None = None
        self.unresolved: list[tuple[str, z3.BoolRef]] = []
        # the stack's own account is always a possible caller's account, written as CloudFormation
        # writes it (a placeholder holds colons, so no ARN component pattern matches it)
        self.placeholder_accounts: set[str] = {"${AWS::AccountId}"}

    # -- pass 1: which keys, which families
    def survey(self) -> None:
        for index, statement in enumerate(self.statements):
            name = _name(statement, index) if isinstance(statement, Mapping) else f"#{index}"
            if not isinstance(statement, Mapping):
                raise NotEncodable(name, f"not a statement: {statement!r}")
            self._survey_principals(statement)
            condition = statement.get("Condition") or {}
            if not isinstance(condition, Mapping):
                raise NotEncodable(name, f"Condition is not a map: {condition!r}")
            for op_name, block in condition.items():
                if not isinstance(block, Mapping):
                    raise NotEncodable(name, f"{op_name} is not a map of keys")
                for key, wanted in block.items():
                    try:
                        op = _parse_operator(op_name, key, wanted)
                    except UndecidableError as error:
                        raise NotEncodable(name, str(error)) from None
                    lowered = key.lower()
                    self.uses.setdefault(lowered, set())
                    if op.qualifier:
                        self.multi[lowered] = self.multi.get(lowered, 0) + 1
                        if self.multi[lowered] > SET_LIMIT:
                            raise NotEncodable(
                                name, f"more than {SET_LIMIT} set conditions read {key}"
                            )
                    if op.base == "Null":
                        continue
                    family = _BASES[op.base][0]
                    self.uses[lowered].add(family)
                    if family in (STRING, ARN):
                        for value in _list(wanted):
                            for variable in _variables(as_text(value)):
                                if variable.key not in PRINCIPAL_VARIABLES:
                                    self.uses.setdefault(variable.key, set())
                    if family in (NUMERIC, DATE):
                        places = 0
                        for value in _list(wanted):
                            try:
                                places = max(places, _decimals(family.policy(value)))
                            except Unparsable as error:
                                raise NotEncodable(
                                    name, f"{op_name} {key}: {error.reason} ({value!r})"
                                ) from None
                        self.scale[lowered] = max(self.scale.get(lowered, 1), 10 ** (places + 1))

    def _survey_principals(self, statement: Mapping[str, Any]) -> None:
        """ARNs the policy names as principals (``Principal`` / ``NotPrincipal`` AWS values and
        ``aws:PrincipalArn`` condition values): a request may come from each of them, even when
        the ARN is a CloudFormation placeholder that no ARN pattern matches."""
        for element in ("Principal", "NotPrincipal"):
            principal = statement.get(element)
            if isinstance(principal, Mapping):
                for value in map(as_text, _list(principal.get("Service", []))):
                    self.named_services.add(value.lower())
                for value in map(as_text, _list(principal.get("AWS", []))):
                    self._survey_account(value)
                    if value != "*" and (value.startswith("arn:") or "${" in value):
                        if not _ROOT_ARN.match(value):
                            self.named_arns.add(value)
        condition = statement.get("Condition")
        for block in condition.values() if isinstance(condition, Mapping) else ():
            if not isinstance(block, Mapping):
                continue
            for key, wanted in block.items():
                if str(key).lower() == "aws:principalarn":
                    for value in map(as_text, _list(wanted)):
                        self._survey_account(value)
                        if not re.search(r"[*?]", value) and not _ROOT_ARN.match(value):
                            self.named_arns.add(value)
                elif str(key).lower() in ("aws:principalaccount", "kms:calleraccount"):
                    for value in map(as_text, _list(wanted)):
                        self._survey_account(value)

    def _survey_account(self, value: str) -> None:
        match = _ROOT_ARN.match(value) or _OWNER.match(value)
        account = match.group(1) if match else value if not value.startswith("arn:") else ""
        if "${" in account and not re.search(r"[*?]", account):
            self.placeholder_accounts.add(account)

    def symbols(self) -> tuple[Symbols, list[z3.BoolRef]]:
        s, facts = make_symbols(
            self.actions, self.named_arns, self.placeholder_accounts, self.named_services
        )
        self.symbols_made = s
        for name, families in sorted(self.uses.items()):
            s.keys[name] = self._key(name, families, s, facts)
        return s, facts

    def _key(self, name: str, families: set[Family], s: Symbols, facts: list[z3.BoolRef]) -> _Key:
        if families == {STRING, ARN}:
            # read as text and as an ARN (StringEquals and ArnLike on aws:SourceArn or an
            # encryption-context ARN): a string of any shape, the ARN operators matching
            # ARN-shaped values only (_test)
            families = {STRING}
        if len(families) > 1:
            raise NotEncodable("(policy)", f"key {name} is read by operators of different kinds")
        family = next(iter(families), STRING)
        multi = name in self.multi and name not in PRINCIPAL_KEYS
        bound = max(SET_BOUND, self.multi[name]) if multi else 1
        scale = self.scale.get(name, 1)
        tag = re.sub(r"\W", "_", name)
        if family in (STRING, ARN):
            values: list[z3.ExprRef] = [z3.String(f"k_{tag}_{i}") for i in range(bound)]
        elif family is BOOL:
            values = [z3.Bool(f"k_{tag}_{i}") for i in range(bound)]
        elif family in (NUMERIC, DATE):
            values = [z3.Int(f"k_{tag}_{i}") for i in range(bound)]
        elif family is IP:
            values = [z3.BitVec(f"k_{tag}_{i}", 128) for i in range(bound)]
        else:
            raise NotEncodable("(policy)", f"key {name}: BinaryEquals is not encoded")
        present = z3.Bool(f"present_{tag}")
        count = z3.Int(f"count_{tag}")
        active = [count > i for i in range(bound)] if multi else [z3.BoolVal(True)]
        key = _Key(name, family, multi, present, values, active, scale)
        if multi:
            facts.append(z3.And(count >= 0, count <= bound))
        if family is ARN and name not in PRINCIPAL_KEYS:  # the principal's ARN has its shape
            facts += [z3.InRe(v, ARN_SHAPE) for v in values]
        if name == "aws:epochtime" and scale > 1:
            # aws:EpochTime is whole seconds ("epoch or Unix time", IAM User Guide, "AWS global
            # condition context keys",
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-epochtime)
            facts += [v % scale == 0 for v in values]
        if family is IP:
            key.ipv6 = [z3.Bool(f"v6_{tag}_{i}") for i in range(bound)]
            facts += [
                z3.Implies(z3.Not(six), z3.ULT(v, z3.BitVecVal(2**32, 128)))
                for v, six in zip(values, key.ipv6, strict=True)
            ]
        facts += principal_key_facts(key, s)
        return key

    # -- pass 2: statements
    def condition(self, name: str, condition: Any, s: Symbols) -> z3.BoolRef:
        if not condition:
            return z3.BoolVal(True)
        parts: list[z3.BoolRef] = []
        for op_name, block in condition.items():
            for key_name, wanted in block.items():
                try:
                    parts.append(self._operator(op_name, s.keys[key_name.lower()], wanted))
                except Unparsable as error:
                    raise NotEncodable(
                        name, f"{op_name} {key_name}: {error.reason} ({wanted!r})"
                    ) from None
                except NotEncodable as error:
                    raise NotEncodable(name, f"{op_name} {key_name}: {error.part}") from None
        return z3.And(*parts)

    def _operator(self, op_name: str, key: _Key, wanted: Any) -> z3.BoolRef:
        op = _parse_operator(op_name, key.name, wanted)
        policy_values = _list(wanted)
        if not policy_values:
            raise NotEncodable("", "no policy values")
        if key.multi:
            empty = z3.Not(z3.Or(*key.active))
        elif key.family in (STRING, ARN):
            empty = key.values[0] == z3.StringVal("")
        else:
            empty = z3.BoolVal(False)
        if op.base == "Null":
            flags = [BOOL.policy(v) for v in policy_values]
            is_null = z3.Or(z3.Not(key.present), empty)
            return z3.Or(*[is_null if f else z3.Not(is_null) for f in flags])
        family, _, negated = _BASES[op.base]
        tests: list[Any] = []  # per policy value: its parsed value, or its term with variables
        for value in policy_values:
            text = as_text(value) if isinstance(value, str) else None
            if text is None or not _POLICY_VARIABLE.search(text) or family is BOOL:
                tests.append(("value", family.policy(value)))
                continue
            if family not in (STRING, ARN) or op.base not in _VARIABLE_OPERATORS:
                raise NotEncodable("", f"the IAM policy variable in {value!r} under {op_name}")
            tests.append(("term", self._with_variables(text)))

        def one(index: int, test: Any) -> z3.BoolRef:
            kind, payload = test
            if kind == "term":
                return key.values[index] == payload
            return self._test(op.base, key, index, payload)

        def hit(index: int) -> z3.BoolRef:
            return z3.Or(*[one(index, t) for t in tests])

        if op.if_exists or op.qualifier == "ForAllValues":
            on_absent = z3.BoolVal(True)
        elif op.qualifier == "ForAnyValue":
            on_absent = z3.BoolVal(False)
        else:
            on_absent = z3.BoolVal(negated)
        indices = range(len(key.values))
        if op.qualifier == "ForAllValues":
            held = z3.And(*[z3.Implies(key.active[i], hit(i) != negated) for i in indices])
            present = z3.Or(empty, held)
        elif op.qualifier == "ForAnyValue":
            found = z3.Or(*[z3.And(key.active[i], hit(i) != negated) for i in indices])
            present = z3.And(z3.Not(empty), found)
        else:
            any_hit = z3.Or(*[z3.And(key.active[i], hit(i)) for i in indices])
            present = any_hit != negated
        return z3.If(key.present, present, on_absent)

    def _with_variables(self, text: str) -> z3.SeqRef:
        """A policy value with IAM policy variables as a term over the request: literal text
        and each variable's value (its key's, or its default when the key is absent). A
        variable without a default whose key may be absent joins :attr:`unresolved`."""
        s = self.symbols_made
        assert s is not None
        parts: list[z3.SeqRef] = []
        index = 0
        for variable in _variables(text):
            if variable.start > index:
                parts.append(z3.StringVal(text[index : variable.start]))
            index = variable.end
            if variable.key in ("*", "?", "$"):
                raise NotEncodable("", f"the policy variable ${{{variable.key}}} in {text!r}")
            if variable.key in PRINCIPAL_VARIABLES:
                value, present = PRINCIPAL_VARIABLES[variable.key](s)
            else:
                key = s.keys[variable.key]
                if key.family not in (STRING, ARN) or key.multi:
                    raise NotEncodable("", f"${{{variable.key}}} is not a single string here")
                value, present = key.values[0], key.present
            if variable.default is not None:
                value = z3.If(present, value, z3.StringVal(variable.default))
            else:
                self.unresolved.append((variable.key, z3.Not(present)))
            parts.append(value)
        if index < len(text):
            parts.append(z3.StringVal(text[index:]))
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)

    def _test(self, base: str, key: _Key, index: int, p: Any) -> z3.BoolRef:
        v = key.values[index]
        family = key.family
        if family is STRING and _BASES[base][0] is ARN:
            # an ARN operator on a key string operators read too: an ARN-shaped value matches
            # (the evaluator cannot decide another shape: such a witness is re-checked)
            return z3.And(z3.InRe(v, ARN_SHAPE), self._arn_test(key, v, p))
        if family is STRING:
            if base in ("StringLike", "StringNotLike"):
                if _PREFIX_PATTERN.fullmatch(p):
                    return z3.PrefixOf(z3.StringVal(p[:-1]), v)
                return z3.InRe(v, glob_re(p))
            if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
                return z3.InRe(v, literal_ci(p))
            return v == z3.StringVal(p)
        if family is ARN:
            return self._arn_test(key, v, p)
        if family is BOOL:
            return v == z3.BoolVal(bool(p))
        if family in (NUMERIC, DATE):
            bound = z3.IntVal(int(p * key.scale))
            return {
                "Equals": v == bound,
                "NotEquals": v == bound,
                "LessThan": v < bound,
                "LessThanEquals": v <= bound,
                "GreaterThan": v > bound,
                "GreaterThanEquals": v >= bound,
            }[base.removeprefix("Numeric").removeprefix("Date")]
        # IP
        bits = p.max_prefixlen
        shift = bits - p.prefixlen
        network = int(p.network_address) >> shift
        same_family = key.ipv6[index] == z3.BoolVal(p.version == 6)
        if shift >= 128:
            return same_family
        return z3.And(same_family, z3.LShR(v, shift) == z3.BitVecVal(network, 128))

    def _arn_test(self, key: _Key, v: z3.SeqRef, p: Any) -> z3.BoolRef:
        text, segments = p
        if key.name == "aws:principalarn" and self.symbols_made is not None:
            return self.symbols_made.principal_arn_like(text)
        if segments is not None:
            return arn_like(v, text, segments)
        if re.search(r"[*?]", re.sub(r"\$\{[^}]*\}", "", text)):
            raise NotEncodable("", f"wildcard ARN pattern hidden in a placeholder: {text!r}")
        return v == z3.StringVal(text)

    def principal(self, name: str, element: Any, s: Symbols) -> tuple[z3.BoolRef, z3.BoolRef]:
        """(direct, account) match of a Principal element, as the evaluator's
        ``_principal_match``."""
        if element == "*":
            return z3.BoolVal(True), z3.BoolVal(False)
        if not isinstance(element, Mapping):
            raise NotEncodable(name, f"unsupported Principal element {element!r}")
        direct: list[z3.BoolRef] = []
        account: list[z3.BoolRef] = []
        caller = z3.Not(s.is_service)
        for kind, values in element.items():
            for value in map(as_text, _list(values)):
                if kind == "AWS":
                    if value == "*":
                        direct.append(z3.BoolVal(True))
                        continue
                    root = _ROOT_ARN.match(value)
                    owner = root.group(1) if root else None if value.startswith("arn:") else value
                    arn_equal = z3.And(caller, s.principal_arn == z3.StringVal(value))
                    if owner is None:
                        direct.append(arn_equal)
                        continue
                    same = z3.And(caller, s.account == z3.StringVal(owner))
                    is_root = z3.InRe(
                        s.principal_arn,
                        z3.Concat(z3.Re("arn:"), SEGMENT, z3.Re(f":iam::{owner}:root")),
                    )
                    direct.append(z3.Or(z3.And(same, is_root), z3.And(z3.Not(same), arn_equal)))
                    account.append(z3.And(same, z3.Not(is_root)))
                elif kind == "Service":
                    direct.append(z3.And(s.is_service, s.service == z3.StringVal(value.lower())))
                elif kind in ("Federated", "CanonicalUser"):
                    direct.append(z3.And(caller, s.principal_arn == z3.StringVal(value)))
                else:
                    raise NotEncodable(name, f"unsupported principal type {kind!r}")
        any_direct = z3.Or(*direct) if direct else z3.BoolVal(False)
        any_account = z3.Or(*account) if account else z3.BoolVal(False)
        return any_direct, z3.And(z3.Not(any_direct), any_account)

    def action(self, name: str, statement: Mapping[str, Any], s: Symbols) -> z3.BoolRef:
        if ("Action" in statement) == ("NotAction" in statement):
            raise NotEncodable(name, "a statement needs exactly one of Action or NotAction")
        key = "Action" if "Action" in statement else "NotAction"
        patterns = [glob(as_text(p), True) for p in _list(statement[key])]
        hits = {a for a in self.actions if any(p.fullmatch(a) for p in patterns)}
        chosen = hits if key == "Action" else set(self.actions) - hits
        return (
            z3.Or(*[s.action == z3.StringVal(a) for a in sorted(chosen)])
            if chosen
            else (z3.BoolVal(False))
        )


def _covers_key(name: str, statement: Mapping[str, Any]) -> bool:
    """A key policy statement's ``Resource`` / ``NotResource``: covers the key (``*``), covers
    nothing (``NotResource: "*"``); anything else raises :class:`NotEncodable`."""
    if "Resource" in statement and "NotResource" in statement:
        raise NotEncodable(name, "a statement has both Resource and NotResource")
    if "NotResource" in statement:
        if "*" in map(as_text, _list(statement["NotResource"])):
            return False
        raise NotEncodable(name, f"NotResource {statement['NotResource']!r} in a key policy")
    values = list(map(as_text, _list(statement.get("Resource", "*"))))
    if "*" in values:
        return True
    raise NotEncodable(
        name, f"Resource {statement.get('Resource')!r} in a key policy (only '*' is decided)"
    )


def encode(
    policy: CanonicalPolicy,
    *,
    actions: tuple[str, ...] = KMS_KEY_ACTIONS,
    extra_keys: tuple[str, ...] = (),
    key_policy: bool = True,
) -> Encoding:
    """Encode a canonical policy once. Raises :class:`NotEncodable` naming the statement and the
    part the prover cannot encode.

    ``actions``: the request's possible actions (a key policy: every KMS key action);
    ``extra_keys``: condition keys a question reads although the policy may not (string keys,
    free); ``key_policy``: the policy is a key policy, so ``Resource`` must be ``*`` (the key
    itself, "Key policies in AWS KMS",
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html: "the
    Resource element is "*", which means "this KMS key"") and ``NotResource: "*"`` makes a
    statement apply to nothing; any other resource is not encoded. With ``key_policy=False``
    the caller has already decided which statements cover the resource in question."""
    builder = _Builder(policy, actions, extra_keys)
    builder.survey()
    s, facts = builder.symbols()
    applies: list[z3.BoolRef] = []
    effects: list[str] = []
    names: list[str] = []
    allow_terms: list[z3.BoolRef] = []
    deny_terms: list[z3.BoolRef] = []
    for index, statement in enumerate(builder.statements):
        name = _name(statement, index)
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise NotEncodable(name, f"unsupported Effect {effect!r}")
        if ("Principal" in statement) == ("NotPrincipal" in statement):
            raise NotEncodable(name, "needs exactly one of Principal or NotPrincipal")
        if "Principal" in statement:
            direct, account = builder.principal(name, statement["Principal"], s)
        else:
            excluded_direct, excluded_account = builder.principal(
                name, statement["NotPrincipal"], s
            )
            direct = z3.Not(z3.Or(excluded_direct, excluded_account))
            account = z3.BoolVal(False)
        action = builder.action(name, statement, s)
        if key_policy and not _covers_key(name, statement):
            action = z3.BoolVal(False)
        condition = builder.condition(name, statement.get("Condition"), s)
        if effect == "Deny":
            applies_here = z3.And(z3.Or(direct, account), action, condition)
            deny_terms.append(applies_here)
        else:
            applies_here = z3.And(
                z3.Or(direct, z3.And(account, s.identity_allows)), action, condition
            )
            allow_terms.append(applies_here)
        applies.append(applies_here)
        effects.append(str(effect))
        names.append(name)
    denied = z3.Or(*deny_terms) if deny_terms else z3.BoolVal(False)
    allowed = z3.And(z3.Or(*allow_terms) if allow_terms else z3.BoolVal(False), z3.Not(denied))
    return Encoding(
        s,
        z3.And(*facts),
        allowed,
        denied,
        applies,
        effects,
        names,
        builder.statements,
        builder.unresolved,
    )
