"""The packed jsii assembly of ``native/`` (the in-kernel half of the checks), loaded on import."""

import aws_cdk._jsii  # noqa: F401  (aws-cdk-lib and constructs must be in the kernel first)
import constructs._jsii  # noqa: F401
import jsii

ASSEMBLY_NAME = "cdk-partition-native"
ASSEMBLY_VERSION = "0.1.0"
ASSEMBLY_FILE = f"{ASSEMBLY_NAME}@{ASSEMBLY_VERSION}.jsii.tgz"

__jsii_assembly__ = jsii.JSIIAssembly.load(
    ASSEMBLY_NAME, ASSEMBLY_VERSION, __name__[0:-6], ASSEMBLY_FILE
)
