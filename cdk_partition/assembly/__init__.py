"""The cloud assembly model: one reading of a ``cdk.out`` (or one template) for every pass.

The audit, the access report and the validation plugin all see the synthesized app through this
module, the way aws-cdk's ``cx-api`` gives the CLI one model of a cloud assembly: the stacks of
every nested assembly (Stages) and every nested stack, each with its environment and construct
path; the construct tree (``tree.json``); the exports; the domain keys; and where the domain
checks apply (the marks :class:`~cdk_partition.DomainEncryptionChecks` writes).

Pure Python over JSON files (no aws_cdk import).

The room, by what each module answers:

* :mod:`~cdk_partition.assembly.stacks`: one template (:class:`StackTemplate`) and the construct
  path of a resource (:func:`resource_path`);
* :mod:`~cdk_partition.assembly.loading`: reading a ``cdk.out`` or a template (:func:`load`);
* :mod:`~cdk_partition.assembly.model`: :class:`CloudAssembly`, its domain keys, scopes and
  placement, and the named questions the rules ask of it;
* :mod:`~cdk_partition.assembly.keys`: key resolution by ARN parts;
* :mod:`~cdk_partition.assembly.cycles`: the resource dependency graph.
"""

from __future__ import annotations

from ..marks import (
    CHECKS_METADATA_KEY,
    DEPLOYMENT_ROLE_METADATA_KEY,
    DOMAIN_METADATA_KEY,
    EXEMPTIONS_METADATA_KEY,
    LOOKUP_PENDING_KEY_ID,
    MARKER_ID,
    PATH_METADATA_KEY,
    REPLICA_KEYS_METADATA_KEY,
    REPLICA_REGIONS_METADATA_KEY,
    Environment,
)
from .limits import AssemblyInputError
from .loading import load, load_templates
from .model import CloudAssembly, DomainKey, Placement, Scope
from .stacks import StackTemplate, resource_path

__all__ = [
    "CHECKS_METADATA_KEY",
    "DEPLOYMENT_ROLE_METADATA_KEY",
    "DOMAIN_METADATA_KEY",
    "EXEMPTIONS_METADATA_KEY",
    "LOOKUP_PENDING_KEY_ID",
    "MARKER_ID",
    "PATH_METADATA_KEY",
    "REPLICA_KEYS_METADATA_KEY",
    "REPLICA_REGIONS_METADATA_KEY",
    "AssemblyInputError",
    "CloudAssembly",
    "DomainKey",
    "Environment",
    "Placement",
    "Scope",
    "StackTemplate",
    "load",
    "load_templates",
    "resource_path",
]
