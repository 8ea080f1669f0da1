"""The reports: who can administer, read and write each domain's data.

Computed, not echoed: every principal a key policy names is put through the policy evaluator
(:mod:`cdk_partition.policy.evaluator`) for every KMS action, as IAM would decide it. Pure Python
over templates (no aws_cdk import); the CLI's ``report`` command and the optional synth-time
report of the validation plugin both use it.

This package is the room's front door: every name below imports from ``cdk_partition.report``.
The room, from the model up:

* :mod:`.model`: what a report holds (:class:`DomainReport`, :class:`Report`,
  :class:`OrgDomainReport`, :class:`OrgReport`; ``to_json`` is the JSON output).
* :mod:`.principals`: principal values the templates show, as ARNs (:class:`PrincipalResolver`,
  :class:`Origin`, :class:`Substitutions`, :func:`principal_label`).
* :mod:`.stores`: the stores on a domain's key and whom the key gates for each
  (``contracts.GATES``).
* :mod:`.access`: one assembly's access report (:func:`build_report`,
  :func:`build_domain_report`): the matrix, the probes for everyone else, access through a
  service (``kms:ViaService``), the ``REPORT-*`` findings.
* :mod:`.organization`: the organisation report over several assemblies, or Stages that target
  several environments (:func:`build_org_report`, :func:`spans_environments`).
* :mod:`.markdown`: the renderers (:func:`to_markdown`, :func:`org_to_markdown`); they only read
  the model, so another format goes beside them.
* :mod:`.html`: the report as one self-contained HTML page (:func:`to_html`): the matrix, the
  findings and the domain diagram as inline SVG (:func:`diagram_svg`).
"""

from __future__ import annotations

from .access import (
    ANY_OTHER_ACCOUNT,
    ANY_OTHER_IN_ACCOUNT,
    build_domain_report,
    build_report,
    capabilities_of,
    service_name,
)
from .html import diagram_svg, to_html
from .markdown import org_to_markdown, to_markdown
from .model import DomainReport, OrgDomainReport, OrgReport, Report
from .organization import build_org_report, spans_environments
from .principals import Origin, PrincipalResolver, Substitutions, principal_label

__all__ = [
    "ANY_OTHER_ACCOUNT",
    "ANY_OTHER_IN_ACCOUNT",
    "DomainReport",
    "OrgDomainReport",
    "OrgReport",
    "Origin",
    "PrincipalResolver",
    "Report",
    "Substitutions",
    "build_domain_report",
    "build_org_report",
    "build_report",
    "capabilities_of",
    "diagram_svg",
    "org_to_markdown",
    "principal_label",
    "service_name",
    "spans_environments",
    "to_html",
    "to_markdown",
]
