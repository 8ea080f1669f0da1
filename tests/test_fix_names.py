"""Every name a store fix prints exists (issue #24 item 3).

A store finding (CDKP001-CDKP005) prints its type's ``cdk_fix`` from the catalogue. Each
backticked span of that text is read as Python and each name in it is checked against what it
claims to be:

* ``domain.x`` / ``domain.x(...)``: an attribute or method of a real :class:`DataDomain`;
* ``mod.X`` / ``mod.X.y(...)``: a class, enum member or function of the installed aws-cdk-lib
  (``mod`` is ``aws_mod`` or one of :data:`ALIASES`); an L1 class (``CfnX``) must be the type's;
* ``CfnX``: the type's L1 class (``AWS::Athena::WorkGroup`` -> ``aws_athena.CfnWorkGroup``);
* ``kms_key`` / ``kms_key=...``: a keyword of a class the text names or of the type's L1 class
  or one of its nested ``CfnX.YProperty`` classes; ``a.b.c``: a path of such keywords from the
  L1 class down; "``a`` in ``b``" and "``a`` of ``mod.X``" must hold as written;
* ``"SSE_KMS"`` (a keyword's value) and ``CUSTOMER_MANAGED_KMS_KEY``: a value the CloudFormation
  schema cfn-lint ships lists as allowed for that property (or for some property of the type);
* ``KmsKey`` / ``DurableConfig.KMSKeyArn``: a property path of the type's CloudFormation schema;
* a call's keywords are parameters of what it calls; a bare name among its positional arguments
  is the parameter of that name (``cdk.CfnResource(scope, id, ...)``).

Anything else fails: new prose cannot slip a name past the test.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from conftest import cdk_context

from cdk_partition import DataDomain
from cdk_partition.knowledge.catalogue import CATALOGUE

pytest.importorskip("cfnlint")

from test_schema_coverage import _load, _properties

#: Module names a fix may use for an aws-cdk-lib module other than ``aws_<name>`` (the names the
#: aws-cdk-lib READMEs import them as).
ALIASES = {
    "cdk": "aws_cdk",
    "lambda_": "aws_cdk.aws_lambda",
    "sfn": "aws_cdk.aws_stepfunctions",
    "firehose": "aws_cdk.aws_kinesisfirehose",
    "opensearch": "aws_cdk.aws_opensearchservice",
}

_SPAN = re.compile(r"`([^`]+)`")
_NESTED = re.compile(r"'(Cfn\w+)\.(\w+Property)'")
#: "`a` in `b`", "`a=...` (with `...`) in every `b`": a is a keyword of b's property type.
_IN = re.compile(r"`(\w+)(?:=[^`]*)?`(?: \([^)]*\))? in (?:every |each )?`([\w.]+)`")
#: "`a` of `mod.X`", "`a=...` (with `...`) of `mod.X`": a is a keyword of mod.X.
_OF = re.compile(
    r"`(\w+)(?:=[^`]*)?`(?: \([^)]*\))? (?:of|to) (?:every |each |the )?`(\w+)\.(\w+)`"
)
#: Values a fix names that the type's schema allows but does not list (no ``enum``), and the AWS
#: words that allow them.
UNLISTED = {
    ("AWS::Timestream::Table", "EncryptionOption", "SSE_KMS"): "the schema's own description of "
    "MagneticStoreRejectedDataLocation.S3Configuration.EncryptionOption: 'Either SSE_KMS or "
    "SSE_S3.'",
    ("AWS::Glue::SecurityConfiguration", "S3EncryptionMode", "SSE-KMS"): "S3Encryption, "
    "https://docs.aws.amazon.com/glue/latest/webapi/API_S3Encryption.html: S3EncryptionMode "
    "'Valid Values: DISABLED | SSE-KMS | SSE-S3'",
    ("AWS::DMS::Endpoint", "EncryptionMode", "SSE_KMS"): "S3Settings.EncryptionMode, "
    "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/databasemigrationservice/"
    "aws.sdk.kotlin.services.databasemigrationservice.model/-s3-settings/encryption-mode.html: "
    "'You can choose either SSE_S3 (the default) or SSE_KMS.' (RedshiftSettings the same)",
}


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(ALIASES.get(name, f"aws_cdk.aws_{name}"))
    except ImportError:
        return None


def _l1(cfn_type: str) -> Any:
    _, namespace, resource = cfn_type.split("::")
    module = _module(namespace.lower())
    return getattr(module, f"Cfn{resource}", None) if module else None


def _parameters(obj: Any) -> set[str] | None:
    """The keywords ``obj`` takes; None if it takes any (``**kwargs``)."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = inspect.signature(target).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params} - {"self"}


def _property_types(cls: Any, keyword: str) -> list[Any]:
    """The nested ``CfnX.YProperty`` classes a keyword of ``cls`` takes."""
    param = inspect.signature(cls.__init__).parameters.get(keyword)
    if param is None:
        return []
    module = inspect.getmodule(cls)
    found = []
    for outer, inner in _NESTED.findall(str(param.annotation)):
        nested = getattr(getattr(module, outer, None), inner, None)
        if nested is not None:
            found.append(nested)
    return found


@cache
def _nested_classes(l1: Any) -> tuple[Any, ...]:
    """The L1 class and every ``YProperty`` class its keywords take, at any depth (a nested class
    only a keyword typed ``Any`` leads to is not reachable: that keyword takes CloudFormation
    names)."""
    found = [l1]
    for cls in found:
        for keyword in _parameters(cls) or ():
            found += [t for t in _property_types(cls, keyword) if t not in found]
    return tuple(found)


@cache
def _schema(cfn_type: str) -> tuple[frozenset[str], dict[str, tuple[str, ...]], frozenset[str]]:
    """The type's property paths (``A.B[].C``, written with and without ``[]``), the allowed values
    of each property name that lists them (``enum``, by lower-cased name without ``_``), and
    every allowed value."""
    paths: set[str] = set()
    enums: dict[str, tuple[str, ...]] = {}
    for path, name, _, node, _ in _properties(_load(cfn_type)):
        paths |= {path, path.replace("[]", "")}
        if isinstance(node.get("enum"), list):
            key = name.lower()
            enums[key] = (*enums.get(key, ()), *(str(v) for v in node["enum"]))
    values = frozenset(v for vs in enums.values() for v in vs)
    return frozenset(paths), enums, values


def _in_schema(paths: frozenset[str], path: str) -> bool:
    """``path`` (``A`` or ``A.B``) is a property path of the schema, or the tail of one."""
    return any(p == path or p.endswith(f".{path}") for p in paths)


def _flat(key: str) -> str:
    return key.replace("_", "").lower()


@cache
def _domain() -> DataDomain:
    app = cdk.App(context=cdk_context())
    people = cdk.Stack(app, "People")
    stack = cdk.Stack(app, "Names")
    admin = iam.User(people, "admin", user_name="admin")
    return DataDomain(stack, "Domain", domain_name="names", administrators=[admin])


class Fix:
    """One type's fix text and the names it may use."""

    def __init__(self, cfn_type: str, text: str | None = None) -> None:
        self.cfn_type = cfn_type
        self.text = CATALOGUE[cfn_type].cdk_fix if text is None else text
        self.l1 = _l1(cfn_type)
        self.named: list[Any] = []  # classes and callables the text names
        self.errors: list[str] = []

    # -- what a keyword may belong to --------------------------------------------------------
    def keywords(self) -> set[str]:
        known: set[str] = set()
        owners = [*self.named, *(_nested_classes(self.l1) if self.l1 is not None else ())]
        for owner in owners:
            known |= _parameters(owner) or set()
        return known

    def keyword_path(self, path: list[str]) -> list[Any]:
        """The property classes a keyword path leads to from the L1 class (empty: no such path)."""
        level = [self.l1] if self.l1 is not None else []
        for name in path:
            level = [t for cls in level for t in _property_types(cls, name)]
        return level

    def fail(self, span: str, why: str) -> None:
        self.errors.append(f"`{span}`: {why}")

    # -- resolving ---------------------------------------------------------------------------
    def resolve(self, node: ast.expr, span: str) -> Any:
        """The object an attribute chain names (``domain.key``, ``s3.Bucket``), else None."""
        names = _chain(node)
        if names is None:
            return None
        root, *rest = names
        obj: Any = _domain() if root == "domain" else _module(root)
        if obj is None:
            return None
        for name in rest:
            if not hasattr(obj, name):
                self.fail(span, f"{'.'.join(names)}: no {name}")
                return None
            obj = getattr(obj, name)
        if inspect.isclass(obj) and obj.__name__.startswith("Cfn") and obj is not cdk.CfnResource:
            if obj is not self.l1:
                self.fail(span, f"{obj.__name__} is not the L1 class of {self.cfn_type}")
        if inspect.isclass(obj) or callable(obj):
            self.named.append(obj)
        return obj

    def check_value(self, keyword: str, node: ast.expr, span: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            _, enums, _ = _schema(self.cfn_type)
            allowed = enums.get(_flat(keyword))
            unlisted = any(
                (t, _flat(p), v) == (self.cfn_type, _flat(keyword), node.value)
                for t, p, v in UNLISTED
            )
            if node.value == self.cfn_type or unlisted:
                pass
            elif allowed is None:
                self.fail(span, f"{keyword}={node.value!r}: no property of that name lists values")
            elif node.value not in allowed:
                self.fail(span, f"{keyword}={node.value!r} not in {sorted(set(allowed))}")
        else:
            self.check(node, span)

    def check_keywords(self, owner: Any, keywords: list[ast.keyword], span: str) -> None:
        takes = _parameters(owner) if owner is not None else self.keywords()
        for kw in keywords:
            if kw.arg is None:
                self.fail(span, "**: not a name")
            elif takes is not None and kw.arg not in takes:
                self.fail(span, f"{kw.arg}: not a keyword of {getattr(owner, '__name__', owner)}")
            self.check_value(kw.arg or "", kw.value, span)

    def check(self, node: ast.expr, span: str) -> None:
        paths, _, values = _schema(self.cfn_type)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and node.value not in values | paths | {self.cfn_type}:
                self.fail(span, f"{node.value!r}: not a value, property or type of the schema")
            return
        if isinstance(node, ast.Name):
            name = node.id
            if name.startswith("Cfn"):
                if self.l1 is None or name != self.l1.__name__:
                    self.fail(span, f"{name} is not the L1 class of {self.cfn_type}")
                else:
                    self.named.append(self.l1)
            elif name.isupper():
                if name not in values and not any(
                    (t, v) == (self.cfn_type, name) for t, _, v in UNLISTED
                ):
                    self.fail(span, f"{name}: no property of {self.cfn_type} lists it")
            elif name[0].isupper():
                if not _in_schema(paths, name):
                    self.fail(span, f"{name}: not a property of {self.cfn_type}")
            elif name not in self.keywords():
                self.fail(span, f"{name}: not a keyword of a named class or of the L1 class")
            return
        if isinstance(node, ast.Attribute):
            names = _chain(node)
            if names is None:
                self.fail(span, "not a name")
            elif names[0] == "domain" or _module(names[0]) is not None:
                if self.resolve(node, span) is None and not self.errors:
                    self.fail(span, f"{'.'.join(names)} does not exist")
            elif names[0][0].isupper():
                if not _in_schema(paths, ".".join(names)):
                    self.fail(span, f"{'.'.join(names)}: not a property path of {self.cfn_type}")
            elif not self.keyword_path(names):
                self.fail(span, f"{'.'.join(names)}: not a keyword path of the L1 class")
            return
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):  # a method of the L1 class
                owner = getattr(self.l1, node.func.id, None) if self.l1 is not None else None
                if owner is None:
                    self.fail(span, f"{node.func.id}: not a method of the L1 class")
                    return
            else:
                owner = self.resolve(node.func, span)
                if owner is None:
                    self.fail(span, f"{ast.unparse(node.func)} does not exist")
                    return
            takes = _parameters(owner) or set()
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in takes:
                    continue  # a placeholder named as the parameter (scope, id)
                self.check(arg, span)
            self.check_keywords(owner, node.keywords, span)
            return
        self.fail(span, f"{type(node).__name__}: not a form the test knows")

    def check_span(self, span: str) -> None:
        try:
            node = ast.parse(span, mode="eval").body
        except SyntaxError:
            try:  # a keyword list: `encryption=..., encryption_key=domain.key`
                call = ast.parse(f"_({span})", mode="eval").body
            except SyntaxError:
                self.fail(span, "not Python")
                return
            assert isinstance(call, ast.Call)
            for arg in call.args:
                self.check(arg, span)
            self.check_keywords(None, call.keywords, span)
            return
        self.check(node, span)

    def check_structure(self) -> None:
        """ "`a` in `b`" and "`a` of `mod.X`" hold as written."""
        paths, _, _ = _schema(self.cfn_type)
        for keyword, container in _IN.findall(self.text):
            path = container.split(".")
            if keyword[0].isupper():  # a property of a JSON object (an L1 keyword typed Any)
                parents = {p.rsplit(".", 2)[-2] for p in paths if p.endswith(f".{keyword}")}
                if not any(_flat(p) == _flat(path[-1]) for p in parents):
                    self.errors.append(f"`{keyword}` in `{container}`: no such property")
                continue
            types = self.keyword_path(path)
            if not types and self.l1 is not None:  # `b` nested anywhere in the L1
                types = [t for c in _nested_classes(self.l1) for t in _property_types(c, path[0])]
                for name in path[1:]:
                    types = [t for c in types for t in _property_types(c, name)]
            if not any(keyword in (_parameters(t) or set()) for t in types):
                self.errors.append(f"`{keyword}` in `{container}`: no such property")
        for keyword, module, name in _OF.findall(self.text):
            owner = getattr(_module(module), name, None)
            takes = _parameters(owner) if owner is not None else set()
            if takes is not None and keyword not in takes:
                self.errors.append(f"`{keyword}` of `{module}.{name}`: no such keyword")

    def check_all(self) -> list[str]:
        spans = _SPAN.findall(self.text)
        # named classes first: a keyword before the class it belongs to is checked against it
        for span in spans:
            for node in _names_first(span):
                self.check(node, span)
        self.errors.clear()
        for span in spans:
            self.check_span(span)
        self.check_structure()
        return self.errors


def _chain(node: ast.expr) -> list[str] | None:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(names)]


def _names_first(span: str) -> Iterator[ast.expr]:
    """The class-naming spans (``mod.X``, ``CfnX``): checked once first to learn the classes."""
    try:
        node = ast.parse(span, mode="eval").body
    except SyntaxError:
        return
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute) or (
        isinstance(func, ast.Name) and func.id.startswith("Cfn")
    ):
        yield func


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
def test_every_name_in_the_fix_exists(cfn_type: str) -> None:
    errors = Fix(cfn_type).check_all()
    assert not errors, f"{cfn_type}: {CATALOGUE[cfn_type].cdk_fix}\n" + "\n".join(errors)


#: Fix texts with one name wrong each (the errors the test exists for): each must fail.
PLANTED = [
    ("AWS::CloudTrail::Trail", "pass `encryption_keys=domain.key` to `cloudtrail.Trail`"),
    ("AWS::CloudTrail::Trail", "pass `encryption_key=domain.key` to `cloudtrail.Trial`"),
    ("AWS::CloudTrail::Trail", "pass `encryption_key=domain.kee` to `cloudtrail.Trail`"),
    ("AWS::SNS::Topic", "create it with `domain.topics(...)`"),
    ("AWS::SQS::Queue", "pass `encryption=sqs.QueueEncryption.KMS_MANAGEDD` to `sqs.Queue`"),
    ("AWS::Athena::WorkGroup", "pass the domain key as `kms_keys` in the result configuration"),
    (
        "AWS::Athena::WorkGroup",
        'pass `kms_key` (with `encryption_option="SSE_KMSS"`) in '
        "`work_group_configuration.result_configuration.encryption_configuration` "
        "of `athena.CfnWorkGroup`",
    ),
    (
        "AWS::Athena::WorkGroup",
        "pass `kms_key` in `work_group_configuration.result_configuration` of `athena.CfnWorkGroup`",
    ),
    ("AWS::Cassandra::Table", "as `kms_key_identifier` (`CUSTOMER_MANAGED_KMS_KY`)"),
    ("AWS::Cassandra::Table", "as `kms_key_identifier` of `cassandra.CfnKeyspace`"),
    ("AWS::Cassandra::Table", "as `kms_key_identifier` of `CfnTabel`"),
    ("AWS::Timestream::Table", "as `KmsKeyID` in `S3Configuration` of `timestream.CfnTable`"),
    ("AWS::Forecast::Dataset", "as `KmsKeyArn` in `encryption_configuration`"),
    ("AWS::Forecast::Dataset", "pass it in the encryption config `(see the console)`"),
]


@pytest.mark.parametrize(("cfn_type", "text"), PLANTED, ids=[t for _, t in PLANTED])
def test_a_wrong_name_fails(cfn_type: str, text: str) -> None:
    assert Fix(cfn_type, text).check_all(), text


_GIVEN_AS = re.compile(r"\(`domain\.key(\.key_arn)?`\) as `(\w+)`")


@pytest.mark.parametrize("cfn_type", sorted(CATALOGUE))
def test_the_key_is_given_in_the_form_the_keyword_takes(cfn_type: str) -> None:
    """ "Pass the domain key (`domain.key`) as `kms_key_id`" applied as written must type-check:
    an L1 keyword typed ``str`` takes the key's ARN (`domain.key.key_arn`), not the key object
    (jsii raises ``TypeError`` for it); the key object only where the keyword takes a key."""
    text = CATALOGUE[cfn_type].cdk_fix
    l1 = _l1(cfn_type)
    for arn, keyword in _GIVEN_AS.findall(text):
        if "=" in text.split(f"`{keyword}", 1)[1][:1] or l1 is None:
            continue  # `encryption_key=domain.key` of an L2: the keyword's own text says what
        annotations = [
            str(inspect.signature(cls.__init__).parameters[keyword].annotation)
            for cls in _nested_classes(l1)
            if keyword in (_parameters(cls) or ())
        ]
        if not annotations:
            continue  # a keyword of a class the text names (checked above)
        takes_key = any("IKey" in a for a in annotations)
        takes_str = any("str" in a for a in annotations)
        if arn:
            assert takes_str, f"{cfn_type}: `{keyword}` takes no string: {annotations}"
        else:
            assert takes_key, (
                f"{cfn_type}: `{keyword}` takes {annotations}, not a key: say `domain.key.key_arn`"
            )
