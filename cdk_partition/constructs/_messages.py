"""How construct-time errors say where and what: construct paths and values as the user wrote them.

One helper renders any value a user passes (:func:`render`), one names where a construct is or
is about to be (:func:`path_of`), one names a principal (:func:`render_principal`). Every
``raise`` a user can cause in the package goes through them, so an error reads
``Orders/Domain/Raw: encryption=s3.BucketEncryption.S3_MANAGED ...``, never
``<BucketEncryption.S3_MANAGED: 'S3_MANAGED'>`` or ``${Token[...]}``.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

_TOKEN = re.compile(r"\$\{Token\[(?:TOKEN\.)?([^\]]*?)\.?(\d*)\]\}")
_DURATION_UNITS = {
    "day": "days", "days": "days", "hour": "hours", "hours": "hours", "minute": "minutes",
    "minutes": "minutes", "second": "seconds", "seconds": "seconds", "milli": "millis",
    "millis": "millis",
}  # fmt: skip


def path_of(scope: IConstruct | None, id: str | None = None) -> str:
    """The construct path of ``scope`` (``"<app root>"`` for the root), or with ``id`` the path the
    child ``id`` of ``scope`` has or will have once created (``Orders/Domain/Raw``). ``scope`` is
    a construct or a construct interface (``kms.IKey``...)."""
    base = scope.node.path if scope is not None else ""
    if id is None:
        return base or "<app root>"
    return f"{base}/{id}" if base else str(id)


def _module_alias(module: str) -> str:
    """``aws_cdk.aws_s3`` -> ``s3``, ``aws_cdk`` -> ``cdk`` (the aliases the README imports)."""
    if module == "aws_cdk":
        return "cdk"
    if module.startswith("aws_cdk.aws_"):
        return module.removeprefix("aws_cdk.aws_")
    return module.rsplit(".", 1)[-1]


def readable_tokens(text: str) -> str:
    """A string with every ``${Token[...]}`` replaced by its display hint (``<AWS.AccountId>``),
    or ``<token>`` when it has none: what the value will be is decided at deploy time."""

    def hint(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<{name}>" if name and name != "TOKEN" else "<token>"

    return _TOKEN.sub(hint, text)


def render_duration(duration: cdk.Duration) -> str:
    """``Duration.days(14)`` for a duration of one unit, else ``Duration.seconds(<n>)``."""
    if duration.is_unresolved():
        return "Duration (a token)"
    parts = duration.to_human_string().split()
    if len(parts) == 2 and parts[1] in _DURATION_UNITS and parts[0].isdigit():
        return f"Duration.{_DURATION_UNITS[parts[1]]}({parts[0]})"
    return f"Duration.seconds({duration.to_seconds()})"


def _intrinsic(value: Any) -> str:
    """A resolved CloudFormation value as text: ``Fn::Sub`` patterns as written, ``Ref`` and
    ``Fn::GetAtt`` as ``${Name}`` / ``${LogicalId.Attr}``, joins concatenated."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return f"${{{arg}}}"
        if fn == "Fn::GetAtt" and isinstance(arg, list) and len(arg) == 2:
            return f"${{{arg[0]}.{arg[1]}}}"
        if fn == "Fn::Sub":
            return arg if isinstance(arg, str) else str(arg[0])
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(_intrinsic(p) for p in arg[1])
    return json.dumps(value, sort_keys=True)


def readable(text: str, scope: Construct | None = None) -> str:
    """``text`` with its tokens made readable: resolved in ``scope``'s stack when given (an ARN
    pattern such as ``arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x``, a role's
    ``${RoleLogicalId.Arn}``), else by their display hints (:func:`readable_tokens`)."""
    if scope is None or not cdk.Token.is_unresolved(text):
        return readable_tokens(text)
    try:
        return _intrinsic(cdk.Stack.of(scope).resolve(text))
    except Exception:  # a token of another stack, a lazy value that fails: its display hint
        return readable_tokens(text)


def render_principal(principal: Any, scope: Construct | None = None) -> str:
    """A principal as the user wrote or created it: ``iam.ServicePrincipal('lambda.amazonaws.com')``,
    ``iam.Role Orders/Api/Role``, ``iam.ArnPrincipal('arn:aws:iam::...')`` (tokens resolved in
    ``scope``'s stack when given)."""
    if isinstance(principal, iam.ServicePrincipal):
        return f"iam.ServicePrincipal({principal.service!r})"
    if isinstance(principal, iam.ArnPrincipal) and not isinstance(principal, iam.AccountPrincipal):
        return f"iam.ArnPrincipal({readable(str(principal.arn), scope)!r})"
    if isinstance(principal, iam.AccountRootPrincipal):
        return "iam.AccountRootPrincipal()"
    if isinstance(principal, iam.AccountPrincipal):
        return f"iam.AccountPrincipal({readable(str(principal.account_id), scope)!r})"
    node = getattr(principal, "node", None)
    name = type(principal).__name__
    if name == "InterfaceDynamicProxy":  # an imported role or user: a jsii proxy
        name = "IRole" if hasattr(principal, "role_arn") else "IPrincipal"
    kind = (
        f"iam.{name}"
        if type(principal).__module__.startswith(("aws_cdk.aws_iam", "jsii"))
        else name
    )
    if node is not None:
        arn = getattr(principal, "role_arn", None) or getattr(principal, "user_arn", None)
        shown = readable(str(arn), principal) if arn else None
        return f"{kind} {node.path}" + (f" ({shown})" if shown and "${Token" not in shown else "")
    return kind


def render(value: Any) -> str:
    """A value as the user would write it in their app: enums as ``s3.BucketEncryption.KMS``,
    durations as ``Duration.days(14)``, principals and constructs by name and path, tokens by
    their display hint; anything else by ``repr``."""
    if isinstance(value, enum.Enum):
        kind = type(value)
        return f"{_module_alias(kind.__module__)}.{kind.__name__}.{value.name}"
    if isinstance(value, cdk.Duration):
        return render_duration(value)
    if isinstance(value, str):
        return repr(readable_tokens(value))
    if isinstance(value, Construct):
        name = type(value).__name__
        return f"{'construct' if name == 'InterfaceDynamicProxy' else name} {path_of(value)}"
    if hasattr(value, "policy_fragment"):  # an iam.IPrincipal (a jsii protocol: no isinstance)
        return render_principal(value)
    if isinstance(value, list | tuple):
        inner = ", ".join(render(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    module = type(value).__module__
    if module.startswith("aws_cdk") and type(value).__repr__ is object.__repr__:
        return f"{_module_alias(module)}.{type(value).__name__}(...)"  # a jsii object: its class
    return readable_tokens(repr(value))
