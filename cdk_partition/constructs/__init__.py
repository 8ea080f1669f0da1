"""The half of cdk_partition that runs inside a CDK app (through jsii).

What an app composes: the domain (:class:`~cdk_partition.DataDomain`, its replica and reference,
:class:`~cdk_partition.DomainStack`), the store methods, the key-policy statement builders, the
checks (the aspect, the validation plugin, ``exempt``), the messages, and the native (jsii)
aspect. This is the only room that imports ``aws_cdk``, ``constructs`` or ``jsii``; it may use
every pure room (the audit runs inside the validation plugin). Import the public names from
:mod:`cdk_partition`.
"""
