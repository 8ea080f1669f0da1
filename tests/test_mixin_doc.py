"""``docs/mixin.md``: what the encryption mixin does to each kind of store, as a table rendered
from the catalogue (each slot's key and ``set.with``, its ``only_if``, the keyless stores).
Rewrite the table with::

    python tests/test_mixin_doc.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "mixin.md"
START, END = "<!-- mixin-table:start -->\n", "<!-- mixin-table:end -->"


def _value(value: object) -> str:
    return "removed" if value is None else json.dumps(value)


def render_table() -> str:
    """One row per catalogued store type and slot: the key property set to the domain key's
    ARN, the switches turned with it, and when the slot is in use; then the keyless stores."""
    from cdk_partition.knowledge.catalogue import CATALOGUE, KEYLESS_STORES

    lines = [
        "| store type | key property (set to the domain key ARN) | switches turned | only when |",
        "| --- | --- | --- | --- |",
    ]
    for cfn_type, store in CATALOGUE.items():
        for slot in store.slots:
            switches = ", ".join(f"`{p}` = {_value(v)}" for p, v in slot.set_with) or "-"
            only = ", ".join(
                f"`{t.path}` {t.op.replace('_', ' ')}"
                + ("" if t.value is None else f" {json.dumps(t.value)}")
                for t in slot.only_if
            )
            lines.append(f"| `{cfn_type}` | `{slot.key}` | {switches} | {only or 'always'} |")
    lines += [
        "",
        "Keyless stores (a warning annotation, left as they are):",
        "",
        "| store type | what protects the data instead |",
        "| --- | --- |",
    ]
    for cfn_type, keyless in KEYLESS_STORES.items():
        reason = keyless.reason.replace("|", "\\|")
        lines.append(f"| `{cfn_type}` | {reason} |")
    return "\n".join(lines) + "\n"


def _current() -> str:
    text = DOC.read_text()
    return text[text.index(START) + len(START) : text.index(END)]


def test_mixin_table_is_current() -> None:
    assert _current() == render_table(), (
        "docs/mixin.md is stale: run python tests/test_mixin_doc.py"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    text = DOC.read_text()
    DOC.write_text(
        text[: text.index(START) + len(START)] + render_table() + text[text.index(END) :]
    )
