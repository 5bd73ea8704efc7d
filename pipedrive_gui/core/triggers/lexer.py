"""FQL lexer with the exact tokenisation of Segment's `@segment/fql-ts` (the one behind triggers).

Its quirks decide what Segment accepts, so they are kept on purpose:
- only space, tab and newline are whitespace; `!=`, `<=`, `>=`, `and`, `or`, `null` and a closing
  quote must be followed by a terminator (whitespace, `,`, `]`, `)` or the end), otherwise the
  characters are read as something else;
- `and`/`or`/`null` probing that runs into the end of the text swallows what it read (`an` at the
  very end lexes as the identifier `a`);
- a backslash in an identifier takes the next character literally; strings have no escapes;
- numbers are `[+-]?digits[.digits]` with nothing required after them.

The text is lexed in UTF-16 form (see jsops) so that positions and string contents match JS.
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import FqlSyntaxError
from .jsops import from_u16, to_u16

# What Segment reports for any lexer failure: the lexer's error is dropped and the empty token list
# makes the parser read `.type` of undefined.
SEGMENT_LEX_ERROR = "Cannot read properties of undefined (reading 'type')"

_LIMIT = 100_000  # fql-ts rejects identifiers, strings and numbers this long
_WHITESPACE = frozenset(" \t\n")
_TERMINATOR_CHARS = frozenset(" \t\n,])")
_IDENT_EXTRA = frozenset("_-\\")
_AFTER_IDENT = frozenset(" \t\n,]).(=!")
_OPERATOR_START = frozenset("!=><\\_")
_SINGLE = {".": "dot", "[": "brackleft", "]": "brackright", ",": "comma", "(": "parenleft", ")": "parenright"}


class Token(NamedTuple):
    kind: str  # ident, dot, operator, conditional, string, number, null, brack*, paren*, comma, eos
    value: str
    start: int  # offset in the UTF-16 form of the text


def _is_alpha(ch: str | None) -> bool:
    return ch is not None and ("a" <= ch <= "z" or "A" <= ch <= "Z")


def _is_digit(ch: str | None) -> bool:
    return ch is not None and "0" <= ch <= "9"


def _is_ident(ch: str | None) -> bool:
    return _is_alpha(ch) or _is_digit(ch) or (ch is not None and ch in _IDENT_EXTRA)


def _is_terminator(ch: str | None) -> bool:
    return ch is None or ch in _TERMINATOR_CHARS


def _show(ch: str | None) -> str:
    if ch is None:
        return "the end of the text"
    if ch == "\n":
        return "a line break"
    if ch == "\t":
        return "a tab"
    if ch == " ":
        return "a space"
    return f'"{from_u16(ch)}"'


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.src = to_u16(text)
        self.pos = 0

    # -- reader ---------------------------------------------------------------------------------
    def _next(self) -> str | None:
        if self.pos >= len(self.src):
            return None
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    def _peek(self) -> str | None:
        return self.src[self.pos] if self.pos < len(self.src) else None

    def _accept(self, word: str) -> bool:
        """Consume `word` if it follows and is itself followed by a terminator.

        Like fql-ts, running into the end of the text returns False *without* giving back what was
        read; a terminator stops the probe early."""
        read = ""
        for _ in word:
            ch = self._next()
            if ch is None:
                return False
            read += ch
            if ch in _TERMINATOR_CHARS:
                break
        if read == word and _is_terminator(self._peek()):
            return True
        self.pos -= len(read)
        return False

    def _fail(self, message: str, offset: int) -> FqlSyntaxError:
        position = len(from_u16(self.src[:offset]))
        return FqlSyntaxError(
            f"{message} (at character {position + 1}).", position, segment_error=SEGMENT_LEX_ERROR
        )

    # -- tokens ---------------------------------------------------------------------------------
    def lex(self) -> list[Token]:
        tokens: list[Token] = []
        while True:
            start = self.pos
            ch = self._next()
            if ch is None:
                tokens.append(Token("eos", "eos", start))
                return tokens
            if ch in _WHITESPACE:
                continue
            if ch == "!":
                following = self._peek()
                if _is_alpha(following) or following == "(":
                    tokens.append(Token("operator", "!", start))
                    continue
            if _is_alpha(ch) or ch in _OPERATOR_START:
                tokens.append(self._operator_or_word(ch, start))
            elif _is_digit(ch) or ch in "-+":
                tokens.append(self._number(ch, start))
            elif ch in "\"'":
                tokens.append(self._string(ch, start))
            elif ch in _SINGLE:
                tokens.append(Token(_SINGLE[ch], ch, start))
            else:
                raise self._fail(
                    f"Unexpected character {_show(ch)}: outside quotes a trigger may only use field names, "
                    'numbers, operators (= != < <= > >=), "and", "or", parentheses and commas; '
                    'put text values in double quotes, e.g. event = "Order Completed"',
                    start,
                )

    def _operator_or_word(self, first: str, start: int) -> Token:
        if first == "=":
            return Token("operator", "=", start)
        if first == "!":
            if self._accept("="):
                return Token("operator", "!=", start)
            if self._peek() == "=":
                raise self._fail('Expected a space after "!="', start)
            raise self._fail(
                f'Expected "=" after "!" but found {_show(self._peek())} (write != for "is not")', start
            )
        if first in "<>":
            if self._accept("="):
                return Token("operator", first + "=", start)
            return Token("operator", first, start)
        if first == "a" and self._accept("nd"):
            return Token("conditional", "and", start)
        if first == "o" and self._accept("r"):
            return Token("conditional", "or", start)
        if first == "n" and self._accept("ull"):
            return Token("null", "null", start)
        return self._word(first, start)

    def _word(self, first: str, start: int) -> Token:
        chars: list[str] = []
        ch: str | None = first
        while True:
            if ch == "\\":
                if self._peek() is None:
                    raise self._fail(
                        'A backslash "\\" must be followed by the character it escapes', self.pos - 1
                    )
                ch = self._next()
            assert ch is not None
            chars.append(ch)
            if len(chars) >= _LIMIT:
                raise self._fail(f"A field name is too long (the limit is {_LIMIT - 1} characters)", start)
            if not _is_ident(self._peek()):
                break
            ch = self._next()
        following = self._peek()
        if following is not None and following not in _AFTER_IDENT:
            word = from_u16("".join(chars))
            raise self._fail(
                f'Expected a space, "=", "!=", "(" or "." after "{word}" but found {_show(following)}; '
                "put a space between a field name and an operator, e.g. properties.total > 100",
                self.pos,
            )
        return Token("ident", "".join(chars), start)

    def _number(self, first: str, start: int) -> Token:
        chars = [first]
        seen_point = False
        coming = self._peek()
        while _is_digit(coming) or coming == ".":
            ch = self._next()
            assert ch is not None
            chars.append(ch)
            if coming == ".":
                if _is_terminator(self._peek()):
                    raise self._fail(
                        "A number cannot end with a decimal point; add digits after it", self.pos - 1
                    )
                if seen_point:
                    raise self._fail("A number has more than one decimal point", self.pos - 1)
                seen_point = True
            if len(chars) > _LIMIT:
                raise self._fail(f"A number is too long (the limit is {_LIMIT - 1} digits)", start)
            coming = self._peek()
        return Token("number", "".join(chars), start)

    def _string(self, quote: str, start: int) -> Token:
        chars: list[str] = []
        while self._peek() != quote:
            ch = self._next()
            if ch is None:
                raise self._fail(f"The text value that starts here has no closing quote ({quote})", start)
            chars.append(ch)
            if len(chars) >= _LIMIT:
                raise self._fail(f"A text value is too long (the limit is {_LIMIT - 1} characters)", start)
        # fql-ts only eats the closing quote when a terminator follows it; otherwise that quote is
        # read again as the opening quote of a new string.
        self._accept(quote)
        return Token("string", quote + "".join(chars) + quote, start)


def lex(text: str) -> list[Token]:
    """Tokens of `text` (ending with an `eos` token); raises FqlSyntaxError where fql-ts fails."""
    return _Lexer(text).lex()


def merge_paths(tokens: list[Token]) -> list[Token]:
    """Join `ident . ident` runs into one identifier (`properties.order.id`), as Segment does."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        current = tokens[index]
        if (
            merged
            and merged[-1].kind == "ident"
            and current.kind == "dot"
            and index + 1 < len(tokens)
            and tokens[index + 1].kind == "ident"
        ):
            previous = merged.pop()
            merged.append(Token("ident", previous.value + "." + tokens[index + 1].value, previous.start))
            index += 2
        else:
            merged.append(current)
            index += 1
    return merged
