"""A domain key policy as the evaluator reads it, and the KMS requests of one principal decided
against it: shared by the passes that check who AWS calls KMS as (identities, integrations,
backup selections, run roles)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..assembly import CloudAssembly, DomainKey
from ..assembly.principals import PrincipalResolver
from ..policy import evaluator

__all__ = ["prepared_key_policy", "refused_requests"]


def prepared_key_policy(
    assembly: CloudAssembly, resolver: PrincipalResolver, key: DomainKey
) -> evaluator.CanonicalPolicy:
    """``key``'s policy canonicalized, its principals resolved as the report resolves them, and
    prepared for the evaluator (once per key and assembly). A policy that is no literal document
    (absent, or chosen by an intrinsic at deploy: CDKP102) is read as one that allows nothing,
    so every request the other passes ask of it is refused (fail closed)."""
    mark = ("prepared-key-policy", id(key.stack), key.logical_id)
    cached = assembly.memo.get(mark)
    if cached is None:
        policy = key.policy if isinstance(key.policy, dict) else {"Statement": []}
        canonical = evaluator.canonicalize(policy)
        cached = evaluator.prepare(resolver.substitutions(canonical, key.stack).apply(canonical))
        assembly.memo[mark] = cached
    return cached  # type: ignore[no-any-return]


def refused_requests(
    prepared: evaluator.CanonicalPolicy,
    principal: str,
    account: str,
    requests: Iterable[str],
    context: Mapping[str, str],
) -> list[str]:
    """The ``requests`` (KMS actions) by ``principal`` of ``account`` that the key policy does not
    allow (its identity policy assumed to allow them), each written ``kms:X``, or ``kms:X
    (undecidable: why)`` when the evaluator cannot decide (fail closed)."""
    refused: list[str] = []
    for request in requests:
        try:
            decision = evaluator.evaluate(
                prepared,
                evaluator.Request(
                    request, principal, account, context=dict(context), identity_allows=True
                ),
            )
        except ValueError as error:
            refused.append(f"{request} (undecidable: {error})")
            continue
        if decision != "allow":
            refused.append(request)
    return refused
