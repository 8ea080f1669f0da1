"""Write ``cdk_partition/constructs/_signatures.py``: the typed signatures of the store methods that take
keyword arguments of their own besides their L2's props.

A store method that only passes its L2's props through is typed from the L2 class itself
(``_typed._props_of``: a ``ParamSpec``, always the installed aws-cdk-lib's). A method with keyword
arguments of its own (``queue(dead_letter_max_receive_count=...)``, ``table_v2(replica_key_arns=
...)``, ``launch_template(auto_scaling=...)``) cannot be typed that way (``Concatenate`` adds
positional parameters only), so its signature is written out here: its own keyword-only
parameters (read from the method's ``def``), then every keyword parameter of its L2's
``__init__`` (read from aws-cdk-lib). ``tests/test_typing.py`` fails when the file differs from
what this script writes, e.g. after an aws-cdk-lib upgrade or a new parameter on a method.

Run: ``python tools/gen_signatures.py`` (writes the file; ``--check`` only compares).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import types
import typing
from importlib.metadata import version
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "cdk_partition" / "constructs" / "_signatures.py"

#: Store method -> the L2 whose keyword props it passes through (module, class). A method listed
#: here is decorated ``@_signature(_signatures.<name>)`` in ``cdk_partition/constructs/stores.py``.
GENERATED: dict[str, tuple[str, str]] = {
    "queue": ("aws_cdk.aws_sqs", "Queue"),
    "table_v2": ("aws_cdk.aws_dynamodb", "TableV2"),
    "launch_template": ("aws_cdk.aws_ec2", "LaunchTemplate"),
}


def _render(tp: object, modules: set[str]) -> str:
    """``tp`` (a resolved annotation of aws-cdk-lib) as source text, fully qualified."""
    if tp is type(None) or tp is None:
        return "None"
    if tp is typing.Any:
        return "Any"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_render(a, modules) for a in args)
    if origin is not None:
        name = _qualified(origin, modules)
        return f"{name}[{', '.join(_render(a, modules) for a in args)}]"
    assert isinstance(tp, type), f"cannot render {tp!r}"
    return _qualified(tp, modules)


def _qualified(cls: type, modules: set[str]) -> str:
    if cls.__module__ in ("builtins", "collections.abc"):
        return cls.__name__
    modules.add(cls.__module__)
    return f"{cls.__module__}.{cls.__qualname__}"


def render() -> str:
    """The text of ``cdk_partition/constructs/_signatures.py`` for the installed aws-cdk-lib."""
    import importlib

    from cdk_partition.constructs.stores import StoreFactories

    modules: set[str] = set()
    functions: list[str] = []
    for name, (module_name, class_name) in GENERATED.items():
        l2 = getattr(importlib.import_module(module_name), class_name)
        method = getattr(StoreFactories, name)
        own = [
            p
            for p in inspect.signature(method).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        hints = typing.get_type_hints(l2.__init__)
        lines = [f"def {name}(", "    self: Any,", "    id: str,", "    /,", "    *,"]
        lines += [f"    {p.name}: {p.annotation} = {p.default!r}," for p in own]
        for p in inspect.signature(l2.__init__).parameters.values():
            if p.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
            lines.append(f"    {p.name}: {_render(hints[p.name], modules)}{default},")
        modules.add(module_name)
        lines.append(f") -> {module_name}.{class_name}:")
        lines.append(
            f'    """:meth:`~cdk_partition.constructs.stores.StoreFactories.{name}`: its own keyword '
            f'arguments, then\n    ``{module_name}.{class_name}``\'s."""'
        )
        lines.append("    raise NotImplementedError")
        functions.append("\n".join(lines))
    imports = "\n".join(f"    import {m}" for m in sorted(modules))
    header = f'''"""Signatures of the store methods with keyword arguments of their own (generated).

Written by ``tools/gen_signatures.py`` from aws-cdk-lib {version("aws-cdk-lib")}; do not edit by hand:
``tests/test_typing.py`` fails when this file differs from what the script writes.
"""

from __future__ import annotations

{{abc}}from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
{imports}

__all__: list[str] = []
'''
    body = "\n\n\n".join(functions)
    used = [n for n in ("Mapping", "Sequence") if re.search(rf"\b{n}\[", body)]
    abc = f"from collections.abc import {', '.join(used)}\n" if used else ""
    text = header.replace("{abc}", abc) + "\n\n" + body + "\n"
    # formatted as the repository's lint test requires (ruff is in the test extra)
    return subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python tools/gen_signatures.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(TARGET.parents[2]))  # the repository root
    raise SystemExit(main(sys.argv[1:]))
