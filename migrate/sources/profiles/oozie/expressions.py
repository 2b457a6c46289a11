"""Oozie's expression language as far as it is known before a job runs: a `Scope` (the properties an
application's expressions see) resolves `${name}`, `wf:conf`, `wf:user`, `coord:user`, `concat`,
`trim`, `firstNotNull`, integer arithmetic and the frequency functions (`coord:days(1)`) into a
`Resolved` text; what only a running job knows, or a property not defined, is `Unresolvable` and
kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from migrate.schedule.oozie import FREQUENCY_FUNCTIONS, Frequency, frequency_of, read_frequency
from migrate.schedule.result import Rejection


class Unresolvable(Exception):
    """An expression this profile cannot evaluate: a property not defined (`undefined`), or what
    Oozie only knows when the job runs (`runtime`)."""

    def __init__(self, kind: str, what: str) -> None:
        super().__init__(what)
        self.kind = kind
        self.what = what


@dataclass
class Resolved:
    text: str
    undefined: list[str] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)


_TOKEN = re.compile(r"""\s*(?:(?P<number>\d+)(?![\w.])|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                    r"""|(?P<name>[A-Za-z_][\w.]*(?::[A-Za-z_]\w*)?)|(?P<op>[-+*/%(),]))""")
_EL_CONSTANTS = {"KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4, "PB": 1024 ** 5}
_PLAIN_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
Value = str | int | Frequency


def _expressions(text: str) -> Iterator[tuple[int, int]]:
    """The spans of the `${...}` of a text (quotes inside respected)."""
    index = text.find("${")
    while index != -1:
        position, quote, depth = index + 2, "", 0
        while position < len(text):
            char = text[position]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}":
                if not depth:
                    break
                depth -= 1
            position += 1
        if position >= len(text):
            return
        yield index, position + 1
        index = text.find("${", position + 1)


class Scope:
    """The properties an application's expressions see, and how they resolve."""

    def __init__(self, values: dict[str, str], keep: frozenset[str] = frozenset()) -> None:
        self.values = values
        self.keep = keep  # names left as written without a word (a dataset's ${YEAR})

    def child(self, values: dict[str, str]) -> Scope:
        return Scope({**self.values, **values}, self.keep)

    def resolve(self, text: str | None, depth: int = 0) -> Resolved:
        """The text with every expression that can be evaluated replaced by its value."""
        written = text or ""
        if "${" not in written:
            return Resolved(written)
        found = Resolved("")
        parts, last = [], 0
        for start, end in _expressions(written):
            parts.append(written[last:start])
            segment = written[start:end]
            try:
                value = self._evaluate(segment[2:-1], depth, found)
                parts.append(value.source if isinstance(value, Frequency) else str(value))
            except Unresolvable as unresolvable:
                parts.append(segment)
                if unresolvable.kind == "undefined":
                    found.undefined.append(unresolvable.what)
                elif unresolvable.kind == "runtime":
                    found.runtime.append(segment)
            last = end
        parts.append(written[last:])
        found.text = "".join(parts)
        return found

    def variable(self, name: str, depth: int, found: Resolved | None = None) -> str:
        if name in self.keep:
            raise Unresolvable("kept", name)
        if name not in self.values:
            raise Unresolvable("undefined", name)
        if depth > 20:
            raise Unresolvable("undefined", f"{name} (defined in terms of itself)")
        inner = self.resolve(self.values[name], depth + 1)
        if found is not None:
            found.undefined.extend(inner.undefined)
            found.runtime.extend(inner.runtime)
        return inner.text

    def _evaluate(self, inner: str, depth: int, found: Resolved) -> Value:
        expression = inner.strip()
        if _PLAIN_NAME.match(expression) and (expression in self.values or expression in self.keep
                                              or "-" in expression):
            return self.variable(expression, depth, found)
        return _Parser(expression, self, depth, found).parse()

    def frequency(self, text: str) -> tuple[Frequency | None, Resolved]:
        """A frequency attribute: the EL function evaluated, or the resolved text read."""
        written = text.strip()
        spans = list(_expressions(written))
        if len(spans) == 1 and spans[0] == (0, len(written)):
            found = Resolved(written)
            try:
                value = self._evaluate(written[2:-1], 0, found)
            except Unresolvable as unresolvable:
                if unresolvable.kind == "undefined":
                    found.undefined.append(unresolvable.what)
                else:
                    found.runtime.append(written)
                return None, found
            if isinstance(value, Frequency):
                return value, found
            found.text = str(value)
        else:
            found = self.resolve(written)
        if found.undefined or found.runtime:
            return None, found
        return read_frequency(found.text), found


class _Parser:
    """A small part of Oozie's EL: numbers, strings, variables, + - * / %, and the functions whose
    value is known before the job runs."""

    def __init__(self, text: str, scope: Scope, depth: int, found: Resolved) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                if not text[position:].strip():
                    break
                raise Unresolvable("runtime", text)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match[kind]))
            position = match.end()
        self.text, self.scope, self.depth, self.found, self.index = text, scope, depth, found, 0

    def parse(self) -> Value:
        value = self._sum()
        if self.index != len(self.tokens):
            raise Unresolvable("runtime", self.text)
        return value

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("", "")

    def _take(self, value: str) -> bool:
        if self._peek()[1] == value:
            self.index += 1
            return True
        return False

    def _number(self, value: Value) -> int:
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise Unresolvable("runtime", self.text)

    def _sum(self) -> Value:
        value = self._product()
        while self._peek()[1] in ("+", "-"):
            operator = self.tokens[self.index][1]
            self.index += 1
            right = self._number(self._product())
            value = self._number(value) + (right if operator == "+" else -right)
        return value

    def _product(self) -> Value:
        value = self._unary()
        while self._peek()[1] in ("*", "/", "%", "div", "mod"):
            operator = self.tokens[self.index][1]
            self.index += 1
            left, right = self._number(value), self._number(self._unary())
            if operator == "*":
                value = left * right
            elif not right:
                raise Unresolvable("runtime", self.text)
            else:
                value = left // right if operator in ("/", "div") else left % right
        return value

    def _unary(self) -> Value:
        if self._take("-"):
            return -self._number(self._unary())
        return self._primary()

    def _primary(self) -> Value:
        kind, value = self._peek()
        self.index += 1
        if kind == "number":
            return int(value)
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "op" and value == "(":
            inner = self._sum()
            if not self._take(")"):
                raise Unresolvable("runtime", self.text)
            return inner
        if kind != "name":
            raise Unresolvable("runtime", self.text)
        if self._take("("):
            arguments: list[Value] = []
            while not self._take(")"):
                arguments.append(self._sum())
                if not self._take(",") and self._peek()[1] != ")":
                    raise Unresolvable("runtime", self.text)
            return self._call(value, arguments)
        if value in _EL_CONSTANTS:
            return _EL_CONSTANTS[value]
        if value in ("true", "false", "null", "eq", "ne", "lt", "gt", "le", "ge", "and", "or", "not", "empty"):
            raise Unresolvable("runtime", self.text)
        return self.scope.variable(value, self.depth, self.found)

    def _call(self, name: str, arguments: list[Value]) -> Value:
        if name in FREQUENCY_FUNCTIONS and len(arguments) == 1:
            try:
                return frequency_of(name, self._number(arguments[0]))
            except Rejection:
                raise Unresolvable("runtime", self.text) from None
        texts = [a.source if isinstance(a, Frequency) else str(a) for a in arguments]
        if name == "concat" and len(texts) == 2:
            return texts[0] + texts[1]
        if name == "trim" and len(texts) == 1:
            return texts[0].strip()
        if name == "firstNotNull" and len(texts) == 2:
            return texts[0] or texts[1]
        if name == "wf:conf" and len(texts) == 1:
            return self.scope.variable(texts[0], self.depth, self.found)
        if name in ("wf:user", "coord:user") and not texts:
            return self.scope.variable("user.name", self.depth, self.found)
        raise Unresolvable("runtime", self.text)
