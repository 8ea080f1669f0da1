"""cdk_partition: partition data with encryption, one customer managed KMS key per data domain.

The public API is re-exported here lazily, so that the command-line audit and report (pure
Python over synthesized templates) start without loading aws-cdk-lib through jsii.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Node.js major versions this library is tested on (CI) that the jsii runtime calls end of life.
#: jsii prints an 11-line banner at every kernel start on them, which the Python runtime relays as
#: bytes literals; ``JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION`` lists the majors to keep quiet
#: about. jsii, "@jsii/check-node" (``checkNode``, read by the runtime at start):
#: https://github.com/aws/jsii/blob/main/packages/@jsii/check-node/src/index.ts
#: It only helps when this module is imported before ``aws_cdk`` (which starts the kernel); a value
#: the user set, even empty, is kept. See README "Node.js versions".
_QUIET_END_OF_LIFE_NODE = "20"
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", _QUIET_END_OF_LIFE_NODE)

_EXPORTS: dict[str, str] = {
    "Capability": "knowledge.capabilities",
    "DataDomain": "constructs.domain",
    "DomainStack": "constructs.stack",
    "DomainOptions": "constructs.stack",
    "DomainReference": "constructs.reference",
    "DomainReplica": "constructs.replica",
    "ConflictingEncryptionError": "constructs.encryption",
    "DomainEncryptionChecks": "constructs.checks",
    "DomainEncryptionPlugin": "constructs.checks",
    "DomainChecksFailed": "constructs.checks",
    "exempt": "constructs.exemptions",
    "last_failure": "constructs.checks",
    "Finding": "audit",
    "RULES": "audit",
    "audit_path": "audit",
}

__all__ = [
    "RULES",
    "Capability",
    "ConflictingEncryptionError",
    "DataDomain",
    "DomainChecksFailed",
    "DomainEncryptionChecks",
    "DomainEncryptionPlugin",
    "DomainOptions",
    "DomainReference",
    "DomainReplica",
    "DomainStack",
    "Finding",
    "__version__",
    "audit_path",
    "exempt",
    "last_failure",
]

if TYPE_CHECKING:
    from .audit import RULES, Finding, audit_path
    from .constructs.checks import (
        DomainChecksFailed,
        DomainEncryptionChecks,
        DomainEncryptionPlugin,
        last_failure,
    )
    from .constructs.domain import DataDomain
    from .constructs.encryption import ConflictingEncryptionError
    from .constructs.exemptions import exempt
    from .constructs.reference import DomainReference
    from .constructs.replica import DomainReplica
    from .constructs.stack import DomainOptions, DomainStack
    from .knowledge.capabilities import Capability


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cdk_partition' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
