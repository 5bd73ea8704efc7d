"""FQL → condition tree, reading tokens exactly the way Segment's destination-subscriptions does.

Segment's parser is a forgiving token walker rather than a grammar, and the trigger semantics users
get follow from that, so this module walks tokens the same way:
- a field name takes the next two tokens as operator and value, whatever they are;
- tokens that start nothing (stray values, unknown names, commas, `]`) are skipped;
- a group collects tokens up to the first `)`, so parentheses cannot nest;
- one operator per level: the last `and`/`or` seen applies to every condition at that level;
- `!` only negates `contains(...)` / `match(...)`.
Skipped or surprising input is reported in `warnings`, so the editor can point at it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from .errors import FqlSyntaxError
from .jsops import from_u16, string_to_number, to_string, to_u16
from .lexer import SEGMENT_LEX_ERROR, Token, lex, merge_paths
from .nodes import (
    CONTEXT,
    EVENT,
    EVENT_TYPE,
    NAME,
    OPERATORS,
    PROPERTY,
    TRAIT,
    USER_ID,
    Condition,
    Group,
    Node,
)

_CONDITION_KIND = {
    "type": EVENT_TYPE,
    "event": EVENT,
    "name": NAME,
    "userId": USER_ID,
    "context": CONTEXT,
    "properties": PROPERTY,
    "traits": TRAIT,
}
# Segment looks field names up in a plain JS object, so these inherited names also count as
# "a field": their operator and value are consumed but no condition is made.
_INHERITED_NAMES = frozenset(
    "constructor __defineGetter__ __defineSetter__ hasOwnProperty __lookupGetter__ __lookupSetter__ "
    "isPrototypeOf propertyIsEnumerable toString valueOf __proto__ toLocaleString".split()
)
_PATH_PREFIX = {PROPERTY: "properties", TRAIT: "traits", CONTEXT: "context"}
_FUNCTIONS = ("contains", "match")
_NOT_VALUES = frozenset({"eos", "conditional", "parenleft", "parenright", "comma", "operator", "dot"})

_READING_TYPE = SEGMENT_LEX_ERROR  # "Cannot read properties of undefined (reading 'type')"


def _token_value(token: Token) -> str | float | bool:
    """Segment's getTokenValue: strings lose one leading and one trailing double quote (single
    quotes stay), numbers go through JS Number(), bare true/false are booleans, else the text."""
    if token.kind == "string":
        text = token.value[1:] if token.value.startswith('"') else token.value
        return text[:-1] if text.endswith('"') else text
    if token.kind == "number":
        return string_to_number(token.value)
    if token.kind == "ident" and token.value in ("true", "false"):
        return token.value == "true"
    return token.value


def _as_text(value: str | float | bool) -> str:
    return to_string(value)


@dataclass
class _Walk:
    text16: str
    warnings: list[str] = field(default_factory=list)

    def pos(self, token: Token | None) -> int | None:
        return None if token is None else len(from_u16(self.text16[: token.start]))

    def where(self, token: Token | None) -> str:
        position = self.pos(token)
        return "" if position is None else f" (at character {position + 1})"

    def warn(self, token: Token, message: str) -> None:
        self.warnings.append(message + self.where(token))

    def fail(self, message: str, token: Token | None, segment_error: str) -> FqlSyntaxError:
        return FqlSyntaxError(message + self.where(token) + ".", self.pos(token), segment_error=segment_error)

    # -- the walk -------------------------------------------------------------------------------
    def parse(self, tokens: deque[Token], nested: bool) -> Node | None:
        nodes: list[Node | None] = []
        joiner = "and"
        joiners_seen: set[str] = set()
        quiet = False  # one warning per run of ignored tokens, not one per token
        token = tokens.popleft() if tokens else None
        while token is not None and token.kind != "eos":
            handled = False
            if token.kind == "ident":
                head = token.value.split(".")[0]
                kind = _CONDITION_KIND.get(head)
                if kind is not None or head in _INHERITED_NAMES:
                    handled = True
                    operator = tokens.popleft() if tokens else None
                    if operator is None:
                        raise self.fail(
                            f'"{from_u16(token.value)}" needs an operator', token, "Operator token is missing"
                        )
                    value = tokens.popleft() if tokens else None
                    if value is None:
                        shown = from_u16(token.value)
                        raise self.fail(
                            f'"{shown}" must be followed by an operator and a value, e.g. {shown} = "some value"',
                            token,
                            "Value token is missing",
                        )
                    if kind is None:
                        self.warn(
                            token, f'"{from_u16(token.value)}" is not a field Segment can test; it is ignored'
                        )
                        handled = False
                        quiet = True
                    else:
                        nodes.append(self._condition(kind, token, operator, value))
                elif token.value in _FUNCTIONS:
                    handled = True
                    self._function(token, token.value, nodes, tokens, negate=False)
            if token.kind == "operator" and token.value == "!":
                if not tokens:
                    raise self.fail(
                        '"!" must be followed by contains(...) or match(...)', token, _READING_TYPE
                    )
                following = tokens[0]
                if following.kind == "ident" and following.value in _FUNCTIONS:
                    handled = True
                    tokens.popleft()
                    self._function(following, following.value, nodes, tokens, negate=True)
            if token.kind == "parenleft":
                handled = True
                group: deque[Token] = deque()
                while True:
                    if not tokens:
                        if nested:
                            raise self.fail(
                                "Segment cannot read parentheses inside parentheses; "
                                "use one level of parentheses only",
                                token,
                                _READING_TYPE,
                            )
                        raise self.fail(
                            'This "(" is never closed; add ")" after its conditions', token, _READING_TYPE
                        )
                    inner = tokens.popleft()
                    if inner.kind == "parenright":
                        break
                    group.append(inner)
                group.append(Token("eos", "eos", token.start))
                child = self.parse(group, nested=True)
                if child is None:
                    self.warn(
                        token, 'The parentheses "()" hold no condition; Segment fails when it reaches them'
                    )
                nodes.append(child)
            if token.kind == "conditional":
                handled = True
                joiner = token.value
                joiners_seen.add(token.value)
            if not handled and not quiet:
                self.warn(token, self._ignored(token))
            quiet = not handled
            token = tokens.popleft() if tokens else None
        if len(joiners_seen) > 1:
            self.warnings.append(
                f'"and" and "or" are mixed without parentheses; Segment applies the last one ("{joiner}") '
                "to every condition at that level"
            )
        if len(nodes) > 1:
            return Group(joiner, tuple(nodes))
        return nodes[0] if nodes else None

    def _ignored(self, token: Token) -> str:
        if token.kind == "operator" and token.value == "!":
            return '"!" only negates contains(...) or match(...); here it is ignored'
        if token.kind == "ident":
            return (
                f'"{from_u16(token.value)}" is not a field Segment can test (use type, event, name, userId, '
                "properties.…, traits.… or context.…); it is ignored"
            )
        return f'"{from_u16(token.value)}" is not part of a condition; Segment ignores it'

    def _condition(self, kind: str, field_token: Token, operator: Token, value_token: Token) -> Condition:
        op = operator.value
        raw = value_token.value
        if op not in OPERATORS:
            self.warn(
                operator, f'"{from_u16(op)}" is not an operator Segment knows, so this condition never holds'
            )
        elif value_token.kind in _NOT_VALUES:
            shown = "the end of the text" if value_token.kind == "eos" else f'"{from_u16(raw)}"'
            self.warn(
                value_token,
                f'"{from_u16(field_token.value)} {from_u16(op)}" has no value; Segment takes {shown} as the value',
            )
        if kind in (EVENT, EVENT_TYPE):
            if raw == "null" and op in ("=", "!="):
                member = "type" if kind == EVENT_TYPE else "event"
                self.warn(
                    value_token,
                    f'Segment compares {member} with the text "null" here; it cannot test whether {member} is missing',
                )
            return Condition(kind, op, from_u16(_as_text(_token_value(value_token))))
        special: str | None = None
        if op == "!=" and raw == "null":
            special = "exists"
        elif op == "=" and raw == "null":
            special = "not_exists"
        elif kind != NAME and op == "=" and raw in ("true", "false"):
            special = "is_true" if raw == "true" else "is_false"
        name = ""
        if kind in _PATH_PREFIX:
            name = from_u16(re.sub(rf"^{_PATH_PREFIX[kind]}\.", "", field_token.value, count=1))
        if special is not None:
            return Condition(kind, special, None, name)
        if kind in (NAME, USER_ID):
            return Condition(kind, op, from_u16(_as_text(_token_value(value_token))))
        if value_token.kind == "number" and op in ("=", "!="):
            number = string_to_number(value_token.value)
            return Condition(kind, "number_equals" if op == "=" else "number_not_equals", number, name)
        value = _token_value(value_token)
        return Condition(kind, op, from_u16(value) if isinstance(value, str) else value, name)

    def _function(
        self, token: Token, function: str, nodes: list[Node | None], tokens: deque[Token], negate: bool
    ) -> None:
        if tokens:
            tokens.popleft()  # "(" (not checked, as in Segment)
        if not tokens:
            raise self.fail(
                f'{function}() needs a field and a value, e.g. {function}(properties.plan, "pro")',
                token,
                f"{function}() is missing a 1st argument",
            )
        subject = tokens.popleft()
        if tokens:
            tokens.popleft()  # ","
        if not tokens:
            raise self.fail(
                f'{function}() needs a second argument, the value, e.g. {function}({from_u16(subject.value)}, "pro")',
                token,
                f"{function}() is missing a 2nd argument",
            )
        value_token = tokens.popleft()
        if tokens:
            tokens.popleft()  # ")"
        if function == "contains":
            operator = "not_contains" if negate else "contains"
            value = _as_text(_token_value(value_token))
        else:
            text16 = _as_text(_token_value(value_token))
            if value_token.value.endswith('*"'):
                operator = "not_starts_with" if negate else "starts_with"
                value = text16[:-1]
            else:
                operator = "not_ends_with" if negate else "ends_with"
                value = text16[1:]
        value = from_u16(value)
        subject_text = subject.value
        if subject_text in ("event", "name", "userId"):
            nodes.append(Condition(subject_text, operator, value))
            return
        for kind, prefix in _PATH_PREFIX.items():
            if subject_text.startswith(prefix):
                name = from_u16(re.sub(rf"^{prefix}\.", "", subject_text, count=1))
                nodes.append(Condition(kind, operator, value, name))
                return
        self.warn(
            subject,
            f"{function}() can only test event, name, userId, properties.…, traits.… or context.…, "
            f'not "{from_u16(subject_text)}"; it is ignored',
        )


@dataclass(frozen=True)
class ParseResult:
    root: Group
    warnings: tuple[str, ...]


def parse(text: str) -> ParseResult:
    """Parse FQL as Segment does; raises FqlSyntaxError where Segment's parseFql reports an error."""
    walk = _Walk(to_u16(text))
    tokens = deque(merge_paths(lex(text)))
    root = walk.parse(tokens, nested=False)
    if root is None:
        if text.strip() == "":
            message = 'The trigger is empty; write a condition such as type = "track"'
        else:
            message = (
                "The trigger has no condition Segment can use; a condition looks like "
                'type = "track", properties.total > 100 or contains(event, "Order")'
            )
        raise FqlSyntaxError(message + ".", None, segment_error=_READING_TYPE)
    if not isinstance(root, Group):
        root = Group("and", (root,))
    return ParseResult(root, tuple(walk.warnings))
