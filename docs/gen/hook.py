"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): fills the ``<!-- gen:NAME -->`` markers of every
page from the code (``docs/gen/tables.py``) before the page is rendered."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from docs.gen.tables import expand


def on_page_markdown(markdown: str, **_: Any) -> str:
    return expand(markdown)
