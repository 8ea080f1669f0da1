"""SSM parameters in a domain (CDKP032): CloudFormation creates String and StringList parameters
only ("Parameters of type SecureString are not supported by CloudFormation", the schema), which
take no key; the warning answers what CDKP006 asked to check by hand.
"""

from __future__ import annotations

from pathlib import Path

from test_integrations import _synth

from cdk_partition import DomainStack


def test_an_ssm_parameter_exempted_from_cdkp006_stays_exempted(tmp_path: Path) -> None:
    """An SSM parameter was CDKP006 ("check by hand") before the catalogue answered it as
    CDKP032; the exemption an app wrote then, after checking, still holds (an attack: every such
    app got a new unexempted warning). An exemption of another rule does not carry over."""
    from aws_cdk import aws_ssm as ssm

    from cdk_partition import exempt

    def build(orders: DomainStack) -> None:
        checked = ssm.StringParameter(orders, "Endpoint", string_value="https://example.com")
        exempt(checked, "CDKP006", "The parameter holds the service's public URL, no data.")
        other = ssm.StringParameter(orders, "Other", string_value="x")
        exempt(other, "CDKP001", "The parameter holds the service's public URL, no data.")

    found = {f.path: f for f in _synth(tmp_path, build) if f.rule == "CDKP032"}
    assert found["Orders/Endpoint/Resource"].exempted
    assert not found["Orders/Other/Resource"].exempted
