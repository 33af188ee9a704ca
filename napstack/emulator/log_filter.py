"""CloudWatch Logs filter patterns, as a subscription filter applies them: moto stores a filter's pattern but never
delivers to a Lambda destination, so the emulator decides which log events reach the function (a named moto gap,
see moto_gaps.py; tests/emulator/test_log_filter.py holds AWS's documented examples).

The forms emulated are the empty pattern (every event) and space-delimited patterns (AWS's "Filter pattern syntax",
space-delimited log events): `[name, name = value, ..., name != value && other = value || name = %regex%]`, with
`...` for any number of fields, `*` as a wildcard in a value, `&&` binding tighter than `||`, and `%regex%` in the
restricted dialect CloudWatch Logs accepts (no parentheses; at most two per pattern). Matching is case-sensitive,
and a field between double quotes or square brackets in the log event is one field. Any other form (terms, JSON)
is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PATTERN_LIMIT = 1024  # characters (CloudWatch Logs PutSubscriptionFilter: filterPattern)
REGEX_LIMIT = 2  # regular expressions in one space-delimited or JSON pattern
# What CloudWatch Logs accepts between the % signs: letters, digits, these symbols and these operators, no ( ).
REGEX_ALLOWED = re.compile(r"[A-Za-z0-9_#=@/;,:\-^$?\[\]{}|\\*+.]*")
ELLIPSIS = "..."


class PatternError(ValueError):
    """A pattern CloudWatch Logs would refuse, or one the emulator does not emulate (the message says which)."""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str  # = or !=
    value: str  # as written, quotes and % signs removed
    regex: bool

    def holds(self, fields: dict[str, str]) -> bool:
        actual = fields.get(self.field)
        if actual is None:
            return False
        if self.regex:
            found = re.search(self.value, actual) is not None
        else:  # only `*` is special in a value
            found = re.fullmatch(".*".join(re.escape(part) for part in self.value.split("*")), actual) is not None
        return found if self.operator == "=" else not found


@dataclass(frozen=True)
class SpaceDelimited:
    names: tuple[str, ...]  # ELLIPSIS for any number of fields
    conditions: tuple[tuple[Condition, ...], ...]  # OR of ANDs

    def matches(self, message: str) -> bool:
        fields = _bind(self.names, split_fields(message))
        if fields is None:
            return False
        return not self.conditions or any(all(c.holds(fields) for c in group) for group in self.conditions)


@dataclass(frozen=True)
class Everything:
    def matches(self, message: str) -> bool:
        return True


def split_fields(message: str) -> list[str]:
    """A log event's fields: separated by spaces; text between "" or [] is one field (without them)."""
    fields = re.findall(r'"[^"]*"|\[[^\]]*\]|\S+', message)
    return [f[1:-1] if f[:1] + f[-1:] in ('""', "[]") and len(f) > 1 else f for f in fields]


def _bind(names: tuple[str, ...], values: list[str]) -> dict[str, str] | None:
    """{field name: value} when the fields line up with the pattern's (an ellipsis takes any number), else None."""
    if ELLIPSIS not in names:
        return dict(zip(names, values)) if len(names) == len(values) else None
    cut = names.index(ELLIPSIS)
    head, tail = names[:cut], names[cut + 1:]
    if ELLIPSIS in tail:
        raise PatternError("more than one ... in a space-delimited pattern is not emulated")
    if len(values) < len(head) + len(tail):
        return None
    bound = dict(zip(head, values))
    bound.update(zip(tail, values[len(values) - len(tail):]) if tail else {})
    return bound


_CONDITION = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|=)\s*(%[^%]*%|"[^"]*"|[^\s,&|%"]+)\s*')


def _conditions(text: str) -> list[list[Condition]]:
    """`a = x && b != y || c = %z%` as [[a=x, b!=y], [c=z]]."""
    groups = []
    for alternative in _split_outside_regex(text, "||"):
        group = []
        for part in _split_outside_regex(alternative, "&&"):
            match = _CONDITION.fullmatch(part)
            if not match:
                raise PatternError(f"cannot read the condition {part.strip()!r}")
            field, operator, value = match.groups()
            regex = value.startswith("%")
            if regex:
                value = value[1:-1]
                if not value or not REGEX_ALLOWED.fullmatch(value):
                    raise PatternError(f"%{value}% uses characters CloudWatch Logs refuses in a regex (no parentheses)")
                try:
                    re.compile(value)
                except re.error as error:
                    raise PatternError(f"%{value}% is not a regular expression: {error}") from None
            elif value.startswith('"'):
                value = value[1:-1]
            group.append(Condition(field, operator, value, regex))
        groups.append(group)
    return groups


def _split_outside_regex(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` that is not inside a %regex% (a regex may hold | and ,)."""
    parts, start, index, inside = [], 0, 0, False
    while index < len(text):
        if text[index] == "%":
            inside = not inside
        elif not inside and text.startswith(separator, index):
            parts.append(text[start:index])
            start = index = index + len(separator)
            continue
        index += 1
    parts.append(text[start:])
    return parts


def parse(pattern: str) -> SpaceDelimited | Everything:
    """The pattern as CloudWatch Logs reads it, or PatternError."""
    if len(pattern) > PATTERN_LIMIT:
        raise PatternError(f"the pattern is {len(pattern)} characters; CloudWatch Logs allows {PATTERN_LIMIT}")
    text = pattern.strip()
    if not text:
        return Everything()
    if not (text.startswith("[") and text.endswith("]")):
        raise PatternError(f"{pattern!r} is not emulated: only the empty pattern and space-delimited ones ([...]) are")
    if text.count("%") // 2 > REGEX_LIMIT:
        raise PatternError(f"a space-delimited pattern may hold {REGEX_LIMIT} regular expressions, this one {text.count('%') // 2}")
    names, conditions = [], []
    for field in _split_outside_regex(text[1:-1], ","):
        field = field.strip()
        if field == ELLIPSIS:
            names.append(ELLIPSIS)
            continue
        name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", field)
        if not name:
            raise PatternError(f"cannot read the field {field!r}")
        names.append(name.group())
        if field != name.group():
            conditions.append(_conditions(field))
    # Every field's conditions must hold: AND across fields, each field's own ||/&& inside it.
    combined: list[list[Condition]] = [[]]
    for field_groups in conditions:
        combined = [done + group for done in combined for group in field_groups]
    return SpaceDelimited(tuple(names), tuple(tuple(g) for g in combined if g) if conditions else ())


def passes(pattern: str, message: str) -> bool:
    return parse(pattern).matches(message)

