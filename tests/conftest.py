"""Shared fixtures. Synthesis costs seconds through jsii, so apps are built once per module and the
sample app's cloud assembly (from the real ``cdk synth`` through ``cdk.json``) once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

ROOT = Path(__file__).resolve().parent.parent


def cdk_context() -> dict[str, object]:
    """The feature flags of ``cdk.json``, so in-process apps synthesize like ``cdk synth``."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {**context, "aws:cdk:enable-path-metadata": True, "aws:cdk:version-reporting": False}


def synth_and_audit(app, out: Path) -> list:  # type: ignore[no-untyped-def]
    """Synthesize ``app`` (into ``out``) and audit its cloud assembly: the audit's findings. A
    synth the validation plugin fails (an error finding) still writes the assembly."""
    from cdk_partition import audit_path

    try:
        app.synth()
    except Exception as error:  # the validation plugin fails the synth
        assert "ValidationFailed" in str(error), error
    return audit_path(out)


def synth_errors(app, out: Path) -> list:  # type: ignore[no-untyped-def]
    """The error findings of :func:`synth_and_audit`."""
    return [f for f in synth_and_audit(app, out) if f.severity == "error"]


@pytest.fixture(scope="session")
def sample_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample app synthesized by the pinned CDK CLI through ``cdk.json``: ``cdk synth``."""
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    if not cdk.exists():
        pytest.fail("the CDK CLI is not installed: run `npm ci` (the README's test command does)")
    out = tmp_path_factory.mktemp("sample") / "cdk.out"
    env = {
        **os.environ,
        # cdk.json runs `python3`: make it this interpreter, activated or not
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "1",
    }
    result = subprocess.run(
        [str(cdk), "synth", "--quiet", "--no-notices", "-o", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"cdk synth failed:\n{result.stdout}\n{result.stderr}"
    return out


@pytest.fixture(scope="session")
def sample_templates(sample_assembly: Path) -> dict[str, dict]:
    """Stack name -> template of every sample-app stack (nested ones too)."""
    return {
        p.name.removesuffix(".template.json"): json.loads(p.read_text())
        for p in sorted(sample_assembly.glob("*.template.json"))
    }


def volume_template(scope, construct_id: str):  # type: ignore[no-untyped-def]
    """A launch template with one 8 GiB EBS volume (the store a domain key must hold)."""
    from aws_cdk import aws_ec2 as ec2

    return ec2.LaunchTemplate(
        scope,
        construct_id,
        machine_image=ec2.MachineImage.latest_amazon_linux2023(),
        instance_type=ec2.InstanceType("t3.micro"),
        block_devices=[
            ec2.BlockDevice(device_name="/dev/xvda", volume=ec2.BlockDeviceVolume.ebs(8))
        ],
    )


def isolated_vpc(scope, *, azs: int = 1):  # type: ignore[no-untyped-def]
    """A small VPC with isolated subnets only (no NAT gateway), for stores that live in one."""
    from aws_cdk import aws_ec2 as ec2

    return ec2.Vpc(
        scope,
        "Vpc",
        max_azs=azs,
        nat_gateways=0,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="iso", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        ],
    )
