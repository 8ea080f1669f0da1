"""The symbols of one request for the prover (part of :mod:`.prover_encoding`): the principal
(its ARN in components, its account, or the AWS service), each condition key's values, the facts
that hold of every request AWS can send, and the ARN tests over the principal's components."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import z3

from .condition_values import ARN, BOOL, DATE, NUMERIC, STRING, Family, Unparsable, glob
from .condition_values import arn_like as arn_like_text
from .prover_regex import ACCOUNT, PRINCIPAL_REST, SERVICE_NAME, arn_re, glob_re

__all__ = [
    "PRINCIPAL_KEYS",
    "SET_BOUND",
    "SET_LIMIT",
    "Symbols",
    "arn_like",
    "make_symbols",
    "principal_key_facts",
    "text_of",
]

#: Smallest bound on the set a multivalued key carries in a counterexample. Each condition that
#: reads the key with ``ForAnyValue:`` / ``ForAllValues:`` can ask for at most one value to be
#: present (a ForAnyValue that holds needs one member matching; a ForAllValues that fails needs
#: one member outside); the others hold for every subset of a set that satisfies them (the
#: empty set included). So a set of as many values as the policy has such conditions on the key
#: (and at least this bound) carries every counterexample; an attack found three ForAnyValue
#: conditions on ``kms:EncryptionContextKeys`` proven closed under a fixed bound of two.
SET_BOUND = 2
#: Past this many set conditions on one key the policy is not encoded (undecided: a finding).
SET_LIMIT = 12


class NotEncodable(Exception):
    """A part of a policy the prover cannot encode; ``statement`` names it (Sid or ``#index``),
    ``part`` says which element and why."""

    def __init__(self, statement: str, part: str) -> None:
        super().__init__(f"statement {statement}: {part}")
        self.statement = statement
        self.part = part


#: Keys AWS derives from the principal (see the module docstring); lowercased.
PRINCIPAL_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "kms:calleraccount",
    }
)


@dataclass
class _Key:
    """One condition key the policy reads: its family and its symbolic values."""

    name: str  # lowercased
    family: Family
    multi: bool
    present: z3.BoolRef
    values: list[z3.ExprRef]
    active: list[z3.BoolRef]
    scale: int = 1  # numeric / date: value = integer / scale
    ipv6: list[z3.BoolRef] = field(default_factory=list)


@dataclass
class Symbols:
    """The z3 variables of one request."""

    action: z3.SeqRef
    is_service: z3.BoolRef
    principal_arn: z3.SeqRef
    account: z3.SeqRef
    service: z3.SeqRef
    identity_allows: z3.BoolRef
    keys: dict[str, _Key]
    # an IAM principal's ARN in components, when it is not one the policy names as written
    # (``shaped``): arn:<partition>:<arn_service>::<account>:<rest>
    shaped: z3.BoolRef = field(default_factory=lambda: z3.Bool("shaped"))
    partition: z3.SeqRef = field(default_factory=lambda: z3.String("partition"))
    arn_service: z3.SeqRef = field(default_factory=lambda: z3.String("arn_service"))
    rest: z3.SeqRef = field(default_factory=lambda: z3.String("principal_rest"))
    named_arns: tuple[str, ...] = ()

    def principal_arn_like(self, text: str) -> z3.BoolRef:
        """``aws:PrincipalArn`` ArnLike ``text``, component by component for an ARN in
        components (equalities and prefixes the solver decides fast, where one regular
        expression over the whole ARN is slow), and decided in Python for each ARN the policy
        names as written (a placeholder against a wildcard pattern: no match)."""
        parsed = ARN.policy(text)
        pattern, segments = parsed
        named = []
        for arn in sorted(self.named_arns):
            try:
                hit = arn_like_text(ARN.request(arn), parsed)
            except Unparsable:
                hit = False
            if hit:
                named.append(self.principal_arn == z3.StringVal(arn))
        if segments is None:  # a pattern hidden in a placeholder: only itself
            shaped_hit: z3.BoolRef = self.principal_arn == z3.StringVal(pattern)
        else:
            arn, partition, service, region, account, resource = segments
            if region and not glob(region, False).fullmatch(""):
                shaped_hit = z3.BoolVal(False)
            else:
                shaped_hit = z3.And(
                    _component(self.partition, partition),
                    _component(self.arn_service, service),
                    _component(self.account, account),
                    _component(self.rest, resource, last=True),
                )
        return z3.Or(
            z3.And(self.shaped, shaped_hit),
            z3.And(z3.Not(self.shaped), *named) if named else z3.BoolVal(False),
        )


def _component(value: z3.SeqRef, pattern: str, *, last: bool = False) -> z3.BoolRef:
    """One ARN component against its pattern: equality, a prefix, or a glob."""
    bare = re.sub(r"\$\{[^}]*\}", "", pattern)
    if not re.search(r"[*?]", bare):
        return value == z3.StringVal(pattern)
    if _PREFIX_PATTERN.fullmatch(bare) and pattern.endswith("*"):
        return z3.PrefixOf(z3.StringVal(pattern[:-1]), value)
    return z3.InRe(value, glob_re(pattern, in_segment=not last))


_ESCAPE = re.compile(r"\\u\{([0-9a-fA-F]+)\}")


def text_of(value: z3.ExprRef) -> str:
    """A z3 string value as Python text (z3 escapes characters outside printable ASCII as
    ``\\u{XX}``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), str(value.as_string()))


def _concrete(key: _Key, index: int, model: z3.ModelRef) -> Any:
    value = model.eval(key.values[index], model_completion=True)
    if key.family is STRING or key.family is ARN:
        return text_of(value)
    if key.family is BOOL:
        return "true" if z3.is_true(value) else "false"
    if key.family is NUMERIC:
        return str(Decimal(value.as_long()) / key.scale)
    if key.family is DATE:
        seconds = Decimal(value.as_long()) / key.scale
        if key.name == "aws:epochtime":
            # "aws:EpochTime": the date and time "in epoch or Unix time" (IAM User Guide, "AWS
            # global condition context keys",
            # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-epochtime)
            return str(seconds.normalize()) if seconds % 1 else str(int(seconds))
        whole = int(seconds // 1)
        moment = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        fraction = seconds - whole
        return moment + (str(fraction)[1:] if fraction else "") + "Z"
    # IP
    number = value.as_long()
    if z3.is_true(model.eval(key.ipv6[index], model_completion=True)):
        return str(ipaddress.IPv6Address(number))
    return str(ipaddress.IPv4Address(number & 0xFFFFFFFF))


_ROOT_ARN = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:])+:iam::((?:\$\{[^}]*\}|[^:])+):root$")
# the account of an IAM or STS principal ARN (placeholders may hold colons)
_OWNER = re.compile(r"^arn:(?:\$\{[^}]*\}|[^:])+:(?:iam|sts)::((?:\$\{[^}]*\}|[^:])+):")


# a pattern whose only wildcard is a trailing "*": a prefix, which the solver decides far faster
# as ``PrefixOf`` than as a regular expression
_PREFIX_PATTERN = re.compile(r"[^*?]*\*")


def arn_like(v: z3.SeqRef, text: str, segments: tuple[str, ...]) -> z3.BoolRef:
    """``ArnLike`` of the ARN-shaped ``v`` against the pattern ``text`` (its six ``segments``),
    as the evaluator's :func:`~.condition_values.arn_like`: equal texts when the pattern has no
    wildcard (six equal components are equal texts), a prefix when its only wildcard is a
    trailing ``*`` in the resource component, else component by component."""
    bare = re.sub(r"\$\{[^}]*\}", "", text)
    if not re.search(r"[*?]", bare):
        return v == z3.StringVal(text)
    if _PREFIX_PATTERN.fullmatch(bare) and not re.search(r"[*?]", "".join(segments[:5])):
        return z3.PrefixOf(z3.StringVal(text[:-1]), v)
    return z3.InRe(v, arn_re(segments))


#: The partitions a principal's ARN may name ("Identify AWS resources with Amazon Resource Names
#: (ARNs)", IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html),
#: and CloudFormation's ``AWS::Partition`` as templates write it.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "${AWS::Partition}")


def cases(s: Symbols) -> list[z3.BoolRef]:
    """The kinds of principal a request may come from, disjoint and together every request: a
    service principal, an IAM principal of a generic ARN in each partition, a principal the
    policy names. The prover asks them one by one when the whole question runs long."""
    caller = z3.Not(s.is_service)
    return [
        s.is_service,
        *[z3.And(caller, s.shaped, s.partition == z3.StringVal(p)) for p in PARTITIONS],
        z3.And(caller, z3.Not(s.shaped)),
    ]


def make_symbols(
    actions: tuple[str, ...],
    named_arns: set[str],
    placeholder_accounts: set[str],
    named_services: set[str],
) -> tuple[Symbols, list[z3.BoolRef]]:
    """The symbols of one request and the facts every request AWS can send satisfies (the
    principal's ARN and account, the service's name); condition keys are added by the caller."""
    facts: list[z3.BoolRef] = []
    s = Symbols(
        action=z3.String("action"),
        is_service=z3.Bool("is_service"),
        principal_arn=z3.String("principal_arn"),
        account=z3.String("account"),
        service=z3.String("service"),
        identity_allows=z3.Bool("identity_allows"),
        keys={},
    )
    facts.append(z3.Or(*[s.action == z3.StringVal(a) for a in actions]))
    s.named_arns = tuple(sorted(named_arns))
    partition, rest = s.partition, s.rest
    iam_arn = z3.And(
        z3.Or(s.arn_service == z3.StringVal("iam"), s.arn_service == z3.StringVal("sts")),
        s.principal_arn
        == z3.Concat(
            z3.StringVal("arn:"),
            partition,
            z3.StringVal(":"),
            s.arn_service,
            z3.StringVal("::"),
            s.account,
            z3.StringVal(":"),
            rest,
        ),
    )
    named: list[z3.BoolRef] = []
    for arn in sorted(named_arns):
        owner = _OWNER.match(arn)
        is_this = s.principal_arn == z3.StringVal(arn)
        # a placeholder without an account in it: the principal it stands for is not an
        # account of its own name (the evaluator reads a non-ARN value as an account)
        named.append(
            z3.And(is_this, s.account == z3.StringVal(owner.group(1)))
            if owner
            else z3.And(
                is_this,
                s.account != z3.StringVal(arn),
                z3.Or(
                    z3.InRe(s.account, ACCOUNT),
                    *[s.account == z3.StringVal(a) for a in sorted(placeholder_accounts)],
                ),
            )
        )
    # "Identify AWS resources with Amazon Resource Names (ARNs)", IAM User Guide
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html): the partition is
    # aws, aws-cn or aws-us-gov (or CloudFormation's AWS::Partition, as templates write it)
    facts += [
        z3.Or(*[partition == z3.StringVal(p) for p in PARTITIONS]),
        z3.InRe(rest, PRINCIPAL_REST),
        z3.Length(s.account) > 0,
        z3.Length(rest) > 0,
        z3.Implies(
            z3.Not(s.is_service),
            z3.If(
                s.shaped,
                z3.And(
                    iam_arn,
                    z3.Or(
                        z3.InRe(s.account, ACCOUNT),
                        *[s.account == z3.StringVal(a) for a in sorted(placeholder_accounts)],
                    ),
                    # a principal the policy names is the named branch's, not this one's
                    *[s.principal_arn != z3.StringVal(a) for a in sorted(s.named_arns)],
                ),
                z3.Or(*named) if named else z3.BoolVal(False),
            ),
        ),
        # a service principal: lowercase DNS-like text ("AWS service principals", IAM User
        # Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services),
        # or one the policy names as written (a placeholder such as ${AWS::Region} inside)
        z3.Implies(
            s.is_service,
            z3.Or(
                z3.InRe(s.service, SERVICE_NAME),
                *[s.service == z3.StringVal(v) for v in sorted(named_services)],
            ),
        ),
    ]
    return s, facts


def principal_key_facts(key: _Key, s: Symbols) -> list[z3.BoolRef]:
    v = key.values[0]
    if key.name in ("aws:principalarn",):
        if key.family not in (STRING, ARN):
            raise NotEncodable("(policy)", f"{key.name} read as {key.family}")
        return [
            key.present == z3.Not(s.is_service),
            z3.Implies(key.present, v == s.principal_arn),
        ]
    if key.name in ("aws:principalaccount", "kms:calleraccount"):
        if key.family is not STRING:
            raise NotEncodable("(policy)", f"{key.name} read as a non-string")
        return [key.present == z3.Not(s.is_service), z3.Implies(key.present, v == s.account)]
    if key.name == "aws:principalservicename":
        if key.family is not STRING:
            raise NotEncodable("(policy)", f"{key.name} read as a non-string")
        return [key.present == s.is_service, z3.Implies(key.present, v == s.service)]
    if key.name == "aws:principalisawsservice":
        if key.family is BOOL:
            return [key.present, v == s.is_service]
        if key.family is STRING:
            return [
                key.present,
                v == z3.If(s.is_service, z3.StringVal("true"), z3.StringVal("false")),
            ]
        raise NotEncodable("(policy)", f"{key.name} read as {key.family}")
    return []


# an IAM policy variable ("IAM policy elements: Variables and tags",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html): a
# lowercase service prefix and one colon (${aws:username}, ${aws:PrincipalTag/team}) or the
# special ${*} ${?} ${$}; not a CloudFormation placeholder of :mod:`.canonical`
# (${AWS::Region}, ${Fn::...:...}, ${ImportValue:...}, ${Role.Arn})
_POLICY_VARIABLE = re.compile(r"\$\{(?:[a-z][a-z0-9-]*:[^:}][^}]*|[*?$])\}")

#: Operators whose values may hold policy variables in the encoding: exact comparisons (a
#: variable inside a Like pattern would need a pattern over the request's own values).
_VARIABLE_OPERATORS = frozenset({"StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals"})

#: Variables whose value is the principal's own (present exactly for an IAM principal, or for a
#: service principal): the symbol, and when it is present.
PRINCIPAL_VARIABLES: dict[str, Any] = {
    "aws:principalaccount": lambda s: (s.account, z3.Not(s.is_service)),
    "kms:calleraccount": lambda s: (s.account, z3.Not(s.is_service)),
    "aws:principalarn": lambda s: (s.principal_arn, z3.Not(s.is_service)),
    "aws:principalservicename": lambda s: (s.service, s.is_service),
}


@dataclass(frozen=True)
class _Variable:
    start: int
    end: int
    key: str  # lowercased, or * ? $
    default: str | None


def _variables(text: str) -> list[_Variable]:
    """The policy variables of ``text``, with their defaults (``${key, 'default'}``)."""
    out = []
    for match in _POLICY_VARIABLE.finditer(text):
        inner = match.group(0)[2:-1]
        variable, _, default = (part.strip() for part in inner.partition(","))
        quoted = default[1:-1] if len(default) >= 2 and default[0] == default[-1] == "'" else None
        out.append(_Variable(match.start(), match.end(), variable.lower(), quoted))
    return out
