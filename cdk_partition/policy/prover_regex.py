"""z3 regular expressions for IAM patterns (part of the prover's encoding,
:mod:`.prover_encoding`): ``*`` / ``?`` globs, ARN components as the evaluator splits them
(:func:`~.condition_values.arn_like`: placeholders ``${...}`` may hold colons), case-insensitive
literals."""

from __future__ import annotations

import re
from collections.abc import Sequence

import z3

_STR = z3.StringSort()
ANY = z3.AllChar(z3.ReSort(_STR))
NOT_COLON_DOLLAR = z3.Diff(ANY, z3.Union(z3.Re(":"), z3.Re("$")))
_NOT_CLOSE = z3.Diff(ANY, z3.Re("}"))
_PLACEHOLDER = z3.Concat(z3.Re("${"), z3.Star(_NOT_CLOSE), z3.Re("}"))
#: one ARN component as the evaluator splits it: placeholders may hold colons
SEGMENT = z3.Star(z3.Diff(ANY, z3.Re(":")))  # request values: no placeholder text
#: an account id as a witness shows it: twelve digits
ACCOUNT = z3.Loop(z3.Range("0", "9"), 12, 12)
_LABEL = z3.Plus(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-")))
#: a service principal's name: dot-separated lowercase labels (sns.amazonaws.com)
SERVICE_NAME = z3.Concat(_LABEL, z3.Plus(z3.Concat(z3.Re("."), _LABEL)))
#: the rest of an IAM or STS principal ARN (``role/path/name``, ``assumed-role/name/session``):
#: the characters IAM names and paths allow ("IAM and AWS STS quotas", IAM User Guide,
#: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: alphanumerics and
#: ``+=,.@_-``), slashes, and the colon of AWS's own ``role/aws:ec2-infrastructure/...``
PRINCIPAL_REST = z3.Plus(
    z3.Union(
        z3.Range("a", "z"),
        z3.Range("A", "Z"),
        z3.Range("0", "9"),
        *[z3.Re(c) for c in "+=,.@_-/:"],
    )
)
#: witnesses are printable ASCII (policy literals outside it are still matched exactly)
PRINTABLE = z3.Star(z3.Range(" ", "~"))


def glob_re(pattern: str, *, ignore_case: bool = False, in_segment: bool = False) -> z3.ReRef:
    """``*`` / ``?`` pattern as a z3 regex (within one ARN component when ``in_segment``)."""
    star = SEGMENT if in_segment else z3.Star(ANY)
    one = z3.Diff(ANY, z3.Re(":")) if in_segment else ANY
    parts: list[z3.ReRef] = []
    for char in pattern:
        if char == "*":
            parts.append(star)
        elif char == "?":
            parts.append(one)
        elif ignore_case and char.lower() != char.upper() and len(char.upper()) == 1:
            parts.append(z3.Union(z3.Re(char.lower()), z3.Re(char.upper())))
        else:
            parts.append(z3.Re(char))
    if not parts:
        return z3.Re("")
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


def arn_re(segments: Sequence[str]) -> z3.ReRef:
    parts: list[z3.ReRef] = []
    for index, segment in enumerate(segments):
        if index:
            parts.append(z3.Re(":"))
        last = index == len(segments) - 1
        if last:
            parts.append(glob_re(segment))
        elif "${" in segment:
            parts.append(z3.Re(segment) if not re.search(r"[*?]", segment) else glob_re(segment))
        else:
            parts.append(glob_re(segment, in_segment=True))
    return z3.Concat(*parts)


#: an ARN as the evaluator parses it: six components, the last runs to the end
ARN_SHAPE = z3.Concat(
    z3.Re("arn:"), *[z3.Concat(SEGMENT, z3.Re(":")) for _ in range(4)], z3.Star(ANY)
)


def literal_ci(text: str) -> z3.ReRef:
    parts = [
        z3.Union(z3.Re(c.lower()), z3.Re(c.upper()))
        if c.lower() != c.upper() and len(c.upper()) == 1 and c.upper().lower() == c.lower()
        else z3.Re(c)
        for c in text
    ]
    if not parts:
        return z3.Re("")
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)
