"""Facts about AWS, as data, each with the AWS documentation page it comes from.

* :mod:`~cdk_partition.knowledge.catalogue`: where each CloudFormation data-store type keeps its
  KMS key, and what it does when none is given (the store catalogue; its dataclasses in
  ``_model``, its evaluation in ``_classify``);
* :mod:`~cdk_partition.knowledge.contracts`: the KMS requests AWS makes for each store and
  integration (the service contracts), and what each service does with a key of another account;
* ``data/``: the facts both read, as JSON, each entry with the AWS pages it rests on
  (``catalogue.json``, ``contracts.json``), and a JSON Schema for each (``*.schema.json``);
* :mod:`~cdk_partition.knowledge.capabilities`: the key actions of each capability (administer,
  read, write) and the statement ids the key policy uses;
* ``kms_properties.json``: every property of every CloudFormation type that names a KMS key,
  generated from the CloudFormation schemas (``python tests/test_schema_coverage.py``).

Pure Python: it imports nothing of the package but :mod:`cdk_partition.marks`.
"""
