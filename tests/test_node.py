"""``import cdk_partition`` keeps jsii quiet about the end-of-life Node versions CI runs it on,
without overriding the user (README "Node.js versions"). The banner itself is checked where a
fresh user environment exists: ``tests/test_install.py``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SILENCE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
PROBE = f"import os, cdk_partition, sys; print(repr(os.environ.get({SILENCE!r}))); print('aws_cdk' in sys.modules)"


def _probe(**env: str) -> list[str]:
    base = {k: v for k, v in os.environ.items() if k != SILENCE}
    base["PYTHONPATH"] = os.pathsep.join([str(ROOT), base.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env={**base, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_import_sets_the_variable_before_aws_cdk_is_loaded() -> None:
    from cdk_partition import _QUIET_END_OF_LIFE_NODE

    value, cdk_loaded = _probe()
    assert value == repr(_QUIET_END_OF_LIFE_NODE)
    assert cdk_loaded == "False"  # the jsii kernel has not started: the value reaches it


@pytest.mark.parametrize("user_value", ["", "18,20,22"])
def test_a_value_the_user_set_is_kept(user_value: str) -> None:
    value, _ = _probe(**{SILENCE: user_value})
    assert value == repr(user_value)
