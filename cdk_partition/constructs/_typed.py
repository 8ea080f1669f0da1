"""The store methods' types: each is typed with the keyword props of the L2 it creates (the
installed aws-cdk-lib's own parameters), or with its generated signature in
:mod:`cdk_partition.constructs._signatures` when it has keyword arguments of its own.

At run time each decorated method first checks its keyword arguments against the same names (its
own, then its L2's), so that a misspelt one is reported against the store method with the name it
was probably meant to be (``domain.queue(...) got an unexpected keyword argument
'dead_letter_max_recieve_count'; did you mean 'dead_letter_max_receive_count'?``) instead of by
the CDK class the method hands its props to.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from constructs import Construct

from ._messages import path_of

_P = ParamSpec("_P")
_S = TypeVar("_S")
_R = TypeVar("_R")


def _props_of(
    l2: Callable[Concatenate[Construct, str, _P], object],
) -> Callable[[Callable[Concatenate[_S, str, ...], _R]], Callable[Concatenate[_S, str, _P], _R]]:
    """Type a store method ``(self, id, **props)`` with the keyword props of ``l2``, the L2 class
    it creates: type checkers and IDEs see the installed aws-cdk-lib's own parameters (a
    misspelt or mistyped prop is an error). At run time the method is unchanged."""

    def typed(
        method: Callable[Concatenate[_S, str, ...], _R],
    ) -> Callable[Concatenate[_S, str, _P], _R]:
        vars(method)["__l2__"] = l2
        return _checked(method, (method, l2))  # type: ignore[return-value]

    return typed


def _args_of(
    factory: Callable[_P, object],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a method ``(self, *args, **options)`` with the parameters of ``factory`` (a CDK
    static factory such as ``ec2.BlockDeviceVolume.ebs``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__l2__"] = factory
        return _checked(method, (method, factory))  # type: ignore[return-value]

    return typed


def _signature(
    stub: Callable[Concatenate[Any, _P], _R],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a store method that has keyword arguments of its own with its generated signature in
    :mod:`cdk_partition.constructs._signatures` (its own keyword arguments, then its L2's props; see
    ``tools/gen_signatures.py``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__signature_stub__"] = stub
        return _checked(method, (method, stub))  # type: ignore[return-value]

    return typed


_SKIPPED = frozenset({"self", "scope", "id"})


def _keyword_names(source: Callable[..., Any]) -> frozenset[str] | None:
    """The names ``source`` takes by keyword (its ``self``, ``scope`` and ``id`` aside), or None
    when it takes any keyword (``**kwargs`` and nothing more specific)."""
    target = source.__init__ if isinstance(source, type) else source  # type: ignore[misc]
    names = set()
    for parameter in inspect.signature(target).parameters.values():
        if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names.add(parameter.name)
    return frozenset(names - _SKIPPED)


def _checked(
    method: Callable[..., _R], sources: tuple[Callable[..., Any], ...]
) -> Callable[..., _R]:
    """``method`` refusing, with a suggestion, a keyword argument that none of ``sources`` (the
    method itself, its L2 or its generated signature) takes.

    :raises TypeError: ``<construct path>: domain.<method>(...) got an unexpected keyword
        argument '<name>'; did you mean '<closest>'?`` (the suggestion when one is close).
    """
    allowed: list[frozenset[str]] = []

    @functools.wraps(method)
    def checking(self: Any, *args: Any, **kwargs: Any) -> _R:
        if not allowed:
            names: set[str] = set()
            for source in sources:
                found = _keyword_names(source)
                if found is not None:
                    names |= found
            allowed.append(frozenset(names))
        unknown = sorted(set(kwargs) - allowed[0])
        if unknown:
            name = unknown[0]
            close = difflib.get_close_matches(name, sorted(allowed[0]), n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = path_of(self, args[0]) if args and isinstance(args[0], str) else path_of(self)
            raise TypeError(
                f"{where}: domain.{method.__name__}(...) got an unexpected keyword argument "
                f"{name!r}{hint} (it takes its own keyword arguments and the props of "
                f"{_l2_name(sources[-1])})"
            )
        made = method(self, *args, **kwargs)
        after = getattr(self, "_after_store", None)
        if after is not None:
            after(made)
        return made

    return checking


def _l2_name(source: Callable[..., Any]) -> str:
    """``sqs.Queue`` for the L2 (or factory) a method passes its props to; for a generated
    signature, the L2 it returns."""
    module = getattr(source, "__module__", "") or ""
    qualname = str(getattr(source, "__qualname__", getattr(source, "__name__", "?")))
    if module.endswith("._signatures"):
        returned = inspect.signature(source).return_annotation
        module, _, qualname = str(getattr(returned, "__qualname__", returned)).rpartition(".")
    return f"{module.removeprefix('aws_cdk.aws_')}.{qualname}" if module else qualname
