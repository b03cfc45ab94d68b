"""Counted nouns in messages: ``1 order``, ``3 orders``, ``2 entries``, never in brackets."""

from __future__ import annotations

_VOWELS = frozenset("aeiou")


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural unless ``count`` is 1.

    The plural is ``many`` when given, else the English rule for regular nouns: ``entry``
    becomes ``entries``, ``directive`` ``directives``, ``sign-off`` ``sign-offs``.
    """
    if count == 1:
        return f"{count} {noun}"
    if many is None:
        if noun.endswith("y") and noun[-2:-1] not in _VOWELS:
            many = noun[:-1] + "ies"
        elif noun.endswith(("s", "x", "ch", "sh")):
            many = noun + "es"
        else:
            many = noun + "s"
    return f"{count} {many}"
