"""cdk_partition: partition data with encryption, one customer managed KMS key per data domain.

The public API is re-exported here lazily, so that the command-line audit and report (pure
Python over synthesized templates) start without loading aws-cdk-lib through jsii.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Capability": "capabilities",
    "DataDomain": "domain",
    "DomainStack": "domain",
    "DomainOptions": "domain",
    "DomainReference": "domain",
    "ConflictingEncryptionError": "stores",
    "DomainEncryptionChecks": "checks",
    "DomainEncryptionPlugin": "checks",
    "exempt": "checks",
    "Finding": "audit",
    "RULES": "audit",
    "audit_path": "audit",
}

__all__ = [
    "RULES",
    "Capability",
    "ConflictingEncryptionError",
    "DataDomain",
    "DomainEncryptionChecks",
    "DomainEncryptionPlugin",
    "DomainOptions",
    "DomainReference",
    "DomainStack",
    "Finding",
    "__version__",
    "audit_path",
    "exempt",
]

if TYPE_CHECKING:
    from .audit import RULES, Finding, audit_path
    from .capabilities import Capability
    from .checks import DomainEncryptionChecks, DomainEncryptionPlugin, exempt
    from .domain import DataDomain, DomainOptions, DomainReference, DomainStack
    from .stores import ConflictingEncryptionError


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdk_partition' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
