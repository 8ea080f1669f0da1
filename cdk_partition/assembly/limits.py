"""Reading a cloud assembly's files within bounds: the limits, and :func:`read_json_file`.

A ``cdk.out`` in CI is often a pull request's output, written by code nobody has reviewed, so
every file is read as hostile input:

* only a **regular file** is read (never a device such as ``/dev/zero``, a FIFO, a socket or a
  directory), opened without blocking (a FIFO cannot hang the reader) and, inside an assembly
  directory, only when its real path (symbolic links resolved) lies **inside that directory**;
* at most :data:`MAX_FILE_BYTES` of it;
* parsed as strict UTF-8 JSON nested at most :data:`MAX_JSON_DEPTH` deep (``tree.json``:
  :data:`MAX_TREE_DEPTH`), with no lone surrogate (``"\\ud800"``) in any string;
* stacks nested at most :data:`MAX_STACK_NESTING` deep, Stage assemblies at most
  :data:`MAX_STAGE_NESTING` deep, at most :data:`MAX_TEMPLATES` templates in all, and no file
  nested inside itself (:mod:`~cdk_partition.assembly.loading` checks these).

Every limit passed is an :class:`~cdk_partition.assembly.AssemblyInputError` naming the file
(and the JSON path where there is one): the CLI's exit code 2. The limits are cdk_partition's
own (AWS documents no bound on a cloud assembly); CloudFormation itself accepts templates of at
most 1 MB from S3 (AWS CloudFormation User Guide, "Understand CloudFormation quotas",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), so
the file limit leaves room for ``tree.json`` and manifests far beyond any real app.

Pure Python (no aws_cdk import).
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from ..marks import printable

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_STACK_NESTING",
    "MAX_STAGE_NESTING",
    "MAX_TEMPLATES",
    "MAX_TREE_DEPTH",
    "AssemblyInputError",
    "json_path",
    "read_json_file",
    "shown",
]

#: Largest file read (bytes): 256 MiB.
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Deepest nesting of arrays and objects in a manifest or a template.
MAX_JSON_DEPTH = 128
#: Deepest nesting in ``tree.json`` (two levels per construct: node and ``children``).
MAX_TREE_DEPTH = 512
#: Deepest chain of nested stacks (a stack, its nested stack, that one's nested stack, ...).
MAX_STACK_NESTING = 32
#: Deepest chain of nested cloud assemblies (Stages within Stages).
MAX_STAGE_NESTING = 32
#: Most templates (stacks and nested stacks) one assembly may hold.
MAX_TEMPLATES = 10_000


class AssemblyInputError(ValueError):
    """The path given is not a cloud assembly or a template, or one of its files cannot be read
    within the limits (bad input, exit code 2). The message is one line naming the file."""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def shown(path: Path | str) -> str:
    """A file name fit for a one-line message (control characters escaped)."""
    return printable(str(path))


def json_path(parts: list[Any] | tuple[Any, ...]) -> str:
    """``$.Resources.Queue.Properties[0]``: a JSON path for a message (escaped)."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return printable(text)


def _inside(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def read_bytes(path: Path, root: Path | None = None) -> bytes:
    """The bytes of the regular file ``path`` (at most :data:`MAX_FILE_BYTES`), inside ``root``
    when given. Raises :class:`AssemblyInputError` naming the file otherwise."""
    name = shown(path)
    if "\x00" in str(path):
        raise AssemblyInputError(f"{name}: a file name with a NUL character")
    if root is not None and not _inside(path, root):
        raise AssemblyInputError(f"{name}: outside the assembly directory {shown(root)}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise AssemblyInputError(f"cannot read {name}: {error.strerror or error}") from error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AssemblyInputError(f"{name}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise AssemblyInputError(
                f"{name}: {info.st_size} bytes, over the limit of {MAX_FILE_BYTES}"
            )
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:  # grew while read
            raise AssemblyInputError(f"{name}: over the limit of {MAX_FILE_BYTES} bytes")
        return b"".join(chunks)
    except OSError as error:
        raise AssemblyInputError(f"cannot read {name}: {error.strerror or error}") from error
    finally:
        os.close(fd)


def read_json_file(path: Path, root: Path | None = None, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``path`` read with :func:`read_bytes` and parsed as JSON nested at most ``max_depth``
    deep, with no lone surrogate in a string. Raises :class:`AssemblyInputError` naming the file
    (and the JSON path of the fault)."""
    data = read_bytes(path, root)
    name = shown(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise AssemblyInputError(f"{name} is not UTF-8 (byte {error.start})") from error
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise AssemblyInputError(f"{name} is not valid JSON: {printable(str(error))}") from error
    except RecursionError as error:
        raise AssemblyInputError(
            f"{name}: JSON nested deeper than the limit of {max_depth}"
        ) from error
    _check_json(value, name, max_depth, surrogates=bool(_SURROGATE_ESCAPE.search(text)))
    return value


def _check_json(value: Any, name: str, max_depth: int, *, surrogates: bool) -> None:
    """Depth (and lone surrogates, when the text escapes any) of a parsed JSON value, walked
    without recursion."""
    todo: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while todo:
        node, depth, where = todo.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                raise AssemblyInputError(
                    f"{name}: at {json_path(where)}: JSON nested deeper than the limit of "
                    f"{max_depth}"
                )
            for key, child in node.items():
                if surrogates and not _encodable(key):
                    raise AssemblyInputError(
                        f"{name}: at {json_path(where)}: a key with a lone surrogate"
                    )
                if isinstance(child, dict | list) or (surrogates and isinstance(child, str)):
                    todo.append((child, depth + 1, (*where, key)))
        elif isinstance(node, list):
            if depth > max_depth:
                raise AssemblyInputError(
                    f"{name}: at {json_path(where)}: JSON nested deeper than the limit of "
                    f"{max_depth}"
                )
            for index, child in enumerate(node):
                if isinstance(child, dict | list) or (surrogates and isinstance(child, str)):
                    todo.append((child, depth + 1, (*where, index)))
        elif isinstance(node, str) and not _encodable(node):
            raise AssemblyInputError(f"{name}: at {json_path(where)}: a lone surrogate")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
