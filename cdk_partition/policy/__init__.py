"""Pure IAM policy logic: decide what a policy allows, offline, as IAM would.

Never imports ``aws_cdk``, ``constructs`` or ``jsii`` (nor :mod:`cdk_partition.constructs`): it
reads policies as JSON, such as the key policies of a synthesized template.

* :mod:`.evaluator`: :func:`~.evaluator.evaluate` one request against a key policy (explicit deny,
  allow, implicit deny; every principal form; every condition operator with its missing-key
  semantics), :func:`~.evaluator.allowed_actions`, :class:`~.evaluator.Request`,
  :class:`~.evaluator.UndecidableError`; the front door of the room.
* :mod:`.condition_values`: how each family of condition operators (string, numeric, date,
  boolean, binary, IP address, ARN) reads its values, with the AWS pages it follows.
* :mod:`.canonical`: :func:`~.canonical.canonicalize`, CloudFormation intrinsics as placeholder
  strings (re-exported by the evaluator).

A symbolic prover (for every request, not one at a time) is to come here beside the evaluator.
"""
