"""A small IAM policy evaluator for the tests: identity policies, a permissions boundary and
the condition operators the project's policies use, with AWS's documented rules:

- an explicit Deny in any policy (identity or boundary) wins;
- otherwise a request is allowed only if some identity statement allows it and, when a
  boundary is set, some boundary statement allows it too (the intersection);
- Action/NotAction and Resource/NotResource take `*` and `?` wildcards (actions ignore case);
- a condition key absent from the request makes a positive operator false and a negated one
  (StringNotEquals, StringNotLike, ArnNotEquals, ArnNotLike) true; ForAnyValue over an absent
  key is false, ForAllValues true; `Null: true` holds when the key is absent.

It covers what the templates in bootstrap/ and the rendered module policies use, not all of IAM
(no NotPrincipal, no policy variables, no numeric or date operators); an unknown operator
raises, so a policy using one cannot pass a test by accident."""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


@functools.cache
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE if ignore_case else 0)


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _compiled(pattern, ignore_case).match(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    # ArnLike compares the six colon-separated parts, each with wildcards.
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    return len(p_parts) == len(v_parts) == 6 and all(
        _glob(p, v) for p, v in zip(p_parts, v_parts, strict=True)
    )


_BASE = {
    "StringEquals": lambda p, v: p == v,
    "StringLike": lambda p, v: _glob(p, v),
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": _arn_like,
    "Bool": lambda p, v: str(p).lower() == str(v).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition_holds(operator: str, key: str, wanted, context: dict) -> bool:
    wanted = [str(w) for w in _list(wanted)]
    present = key in context
    values = [str(v) for v in _list(context[key])] if present else []
    if operator == "Null":
        return (not present) == (wanted[0].lower() == "true")
    qualifier = None
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    negated = operator in _NEGATED
    base = _BASE.get(_NEGATED.get(operator, operator))
    if base is None:
        raise ValueError(f"operator not supported by the test evaluator: {operator}")

    def matches(value: str) -> bool:
        hit = any(base(p, value) for p in wanted)
        return not hit if negated else hit

    if qualifier == "ForAnyValue":
        return any(matches(v) for v in values)
    if qualifier == "ForAllValues":
        return all(matches(v) for v in values)
    if not present:
        return negated
    return any(matches(v) for v in values) if not negated else all(matches(v) for v in values)


def _statement_applies(statement: dict, action: str, resource: str, context: dict) -> bool:
    if "Action" in statement:
        if not any(_glob(a, action, ignore_case=True) for a in _list(statement["Action"])):
            return False
    elif any(_glob(a, action, ignore_case=True) for a in _list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(_glob(r, resource) for r in _list(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(_glob(r, resource) for r in _list(statement["NotResource"])):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not _condition_holds(operator, key, wanted, context):
                return False
    return True


def _effects(documents: Iterable[dict], action: str, resource: str, context: dict) -> set[str]:
    return {
        s["Effect"]
        for doc in documents
        for s in _list(doc["Statement"])
        if _statement_applies(s, action, resource, context)
    }


def decide(
    identity: list[dict],
    action: str,
    resource: str,
    context: dict | None = None,
    boundary: dict | None = None,
) -> str:
    """'Allow', 'ExplicitDeny' or 'ImplicitDeny' for one request."""
    context = context or {}
    identity_effects = _effects(identity, action, resource, context)
    boundary_effects = _effects([boundary], action, resource, context) if boundary else {"Allow"}
    if "Deny" in identity_effects or "Deny" in boundary_effects:
        return "ExplicitDeny"
    if "Allow" in identity_effects and "Allow" in boundary_effects:
        return "Allow"
    return "ImplicitDeny"
