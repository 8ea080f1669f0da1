"""The shapes the audit reads, validated before it reads them: the cloud assembly manifest
against aws-cdk's published JSON Schema, and the CloudFormation template shape.

* **Manifest** (``manifest.json`` of a ``cdk.out`` and of each nested Stage assembly):
  validated against ``cloud-assembly.schema.json`` of the npm package
  ``@aws-cdk/cloud-assembly-schema`` (a copy ships in ``assembly/data``; its version and source in
  ``cloud-assembly.schema.source.json``): an artifact type outside the schema's enum (a misspelt
  ``aws:cloudformation:stack``), ``properties`` that are not an object, a ``displayName`` that is
  not a string are all refused. The schema is aws-cdk's own contract between the CDK that writes
  an assembly and the CLI that deploys it (README of @aws-cdk/cloud-assembly-schema,
  https://github.com/aws/aws-cdk-cli/tree/main/packages/%40aws-cdk/cloud-assembly-schema).
* **Template** (AWS CloudFormation User Guide, "CloudFormation template sections",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html, and
  "CloudFormation template Resources syntax",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html):
  a JSON object of the known sections only (:data:`TEMPLATE_SECTIONS`: a misspelt or unknown
  section is refused, so resources cannot hide in one); its ``Resources``, ``Metadata`` and
  ``Outputs`` sections objects; each resource declaration that is an object has ``Metadata``
  and ``Properties`` objects when present; each output an object. A declaration that is not an
  object, or lacks a string ``Type`` (``Fn::ForEach`` of the language extensions transform is one),
  stays for the audit to report as unreadable (a finding), not a refusal of the whole file.

Every refusal is an :class:`~cdk_partition.assembly.AssemblyInputError` naming the file and the
JSON path (the CLI's exit code 2).

Pure Python (no aws_cdk import, no jsii): ``jsonschema`` validates.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from ..marks import printable
from .limits import AssemblyInputError, json_path

__all__ = ["TEMPLATE_SECTIONS", "validate_manifest", "validate_template"]

_SCHEMA_FILE = "data/cloud-assembly.schema.json"

#: The top-level sections of a template ("CloudFormation template sections"; ``Globals`` of the
#: AWS::Serverless transform, AWS SAM Developer Guide, "Globals section of the AWS SAM template",
#: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html).
#: CloudFormation refuses any other; a stack with no resources has no ``Resources`` (the CDK
#: synthesizes an empty stack that way).
TEMPLATE_SECTIONS = frozenset(
    {
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Parameters",
        "Rules",
        "Mappings",
        "Conditions",
        "Transform",
        "Resources",
        "Outputs",
        "Hooks",
        "Globals",
    }
)


@lru_cache(maxsize=1)
def _manifest_validator() -> Any:
    import jsonschema  # type: ignore[import-untyped]  # on first use: the CLI starts without it

    schema = json.loads(resources.files(__package__).joinpath(_SCHEMA_FILE).read_text())
    return jsonschema.Draft7Validator(schema)


def validate_manifest(manifest: Any, name: str) -> None:
    """Refuse a manifest the cloud assembly schema refuses: one line naming the file ``name``
    and the JSON path of the most relevant error."""
    import jsonschema  # type: ignore[import-untyped]

    error = jsonschema.exceptions.best_match(_manifest_validator().iter_errors(manifest))
    if error is None:
        return
    message = printable(error.message)
    if len(message) > 200:
        message = message[:197] + "..."
    where = json_path(list(error.absolute_path))
    raise AssemblyInputError(f"{name}: at {where}: {message} (cloud assembly schema)")


def _must_be_object(value: Any, name: str, where: tuple[Any, ...], what: str) -> None:
    if not isinstance(value, dict):
        raise AssemblyInputError(
            f"{name}: at {json_path(where)}: {what} is {_kind(value)}, not an object"
        )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def validate_template(template: Any, name: str) -> None:
    """Refuse a template that does not have the CloudFormation template shape (see the module
    docstring), naming the file ``name`` and the JSON path."""
    _must_be_object(template, name, (), "the template")
    for section in template:
        if section not in TEMPLATE_SECTIONS:
            raise AssemblyInputError(
                f"{name}: at {json_path([section])}: not a CloudFormation template section"
            )
    for section in ("Resources", "Metadata", "Outputs"):
        if section in template:
            _must_be_object(template[section], name, (section,), section)
    for logical_id, resource in template.get("Resources", {}).items():
        if not isinstance(resource, dict):
            continue  # the audit reports it (unreadable declaration)
        for section in ("Metadata", "Properties"):
            if section in resource:
                where = ("Resources", logical_id, section)
                _must_be_object(resource[section], name, where, section)
    for output_id, output in template.get("Outputs", {}).items():
        _must_be_object(output, name, ("Outputs", output_id), "an output")
        if "Export" in output:
            _must_be_object(output["Export"], name, ("Outputs", output_id, "Export"), "Export")
