"""Write a knowledge data file the way the repository keeps them: two-space indent, and an array
or object of scalars on one line when that line fits in 100 characters.

``python tools/fmt_json.py cdk_partition/knowledge/data/contracts.json`` (in place).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

WIDTH = 100


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _dump(value: Any, indent: int, lead: int) -> str:
    """``value`` at ``indent`` spaces, its first line starting ``lead`` characters in."""
    if _scalar(value):
        return json.dumps(value, ensure_ascii=False)
    items = value.items() if isinstance(value, dict) else enumerate(value)
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    if all(_scalar(v) for _, v in items):
        inline = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        if lead + len(inline) + 1 <= WIDTH:
            return inline
    pad = " " * (indent + 2)
    lines = []
    if isinstance(value, dict):
        for key, child in value.items():
            head = f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            lines.append(head + _dump(child, indent + 2, len(head)))
        return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"
    for child in value:
        lines.append(pad + _dump(child, indent + 2, len(pad)))
    return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"


def format_text(data: Any) -> str:
    return _dump(data, 0, 0) + "\n"


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        path.write_text(format_text(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
