"""The store methods' types: each is typed with the keyword props of the L2 it creates (the
installed aws-cdk-lib's own parameters), or with its generated signature in
:mod:`cdk_partition.constructs._signatures` when it has keyword arguments of its own. At run
time the decorated methods are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from constructs import Construct

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
        return method

    return typed


def _args_of(
    factory: Callable[_P, object],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a method ``(self, *args, **options)`` with the parameters of ``factory`` (a CDK
    static factory such as ``ec2.BlockDeviceVolume.ebs``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__l2__"] = factory
        return method

    return typed


def _signature(
    stub: Callable[Concatenate[Any, _P], _R],
) -> Callable[[Callable[Concatenate[_S, ...], _R]], Callable[Concatenate[_S, _P], _R]]:
    """Type a store method that has keyword arguments of its own with its generated signature in
    :mod:`cdk_partition.constructs._signatures` (its own keyword arguments, then its L2's props; see
    ``tools/gen_signatures.py``)."""

    def typed(method: Callable[Concatenate[_S, ...], _R]) -> Callable[Concatenate[_S, _P], _R]:
        vars(method)["__signature_stub__"] = stub
        return method

    return typed
