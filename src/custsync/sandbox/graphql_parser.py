"""A small GraphQL reader: one query operation, fields with aliases, arguments and variables.

Enough for the ``orders`` queries a sync sends; fragments, directives and mutations are refused
with a ``GraphQLError`` (answered as GraphQL errors, HTTP 200, as Shopify does).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
    |(?P<punct>\.\.\.|[{}()\[\]:!=$@])
    |(?P<string>"(?:[^"\\\n]|\\.)*")
    |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
    """,
    re.VERBOSE,
)


class GraphQLError(ValueError):
    """A query the sandbox cannot run (the message is what the client is told)."""


@dataclass(frozen=True, slots=True)
class Enum:
    """An enum value written bare in a query (``sortKey: UPDATED_AT``)."""

    name: str


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    alias: str | None = None
    args: Mapping[str, object] = field(default_factory=dict)
    selections: tuple[Field, ...] = ()

    @property
    def key(self) -> str:
        return self.alias or self.name


def parse(query: str, variables: Mapping[str, object] | None = None) -> tuple[Field, ...]:
    """The root selection set of the document's one query operation."""
    return _Parser(_tokens(query), dict(variables or {})).document()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise GraphQLError(f"Parse error on {text[position : position + 10]!r}")
        position = match.end()
        kind = match.lastgroup or "skip"
        if kind != "skip":
            tokens.append((kind, match.group()))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], variables: dict[str, object]) -> None:
        self._tokens, self._at, self._variables = tokens, 0, variables

    def document(self) -> tuple[Field, ...]:
        if self._peek() in ("mutation", "subscription"):
            raise GraphQLError("Only queries are supported by the sandbox")
        if self._peek() == "query":
            self._next()
            if self._kind() == "name":
                self._next()
            if self._peek() == "(":
                self._variable_definitions()
        selections = self._selection_set()
        if self._at < len(self._tokens):
            raise GraphQLError("Only one operation per document is supported by the sandbox")
        return selections

    def _variable_definitions(self) -> None:
        self._expect("(")
        while self._peek() != ")":
            self._expect("$")
            name = self._next()
            self._expect(":")
            self._type()
            if self._peek() == "=":
                self._next()
                default = self._value(const=True)
                self._variables.setdefault(name, default)
        self._expect(")")

    def _type(self) -> None:
        if self._peek() == "[":
            self._next()
            self._type()
            self._expect("]")
        else:
            self._next()
        if self._peek() == "!":
            self._next()

    def _selection_set(self) -> tuple[Field, ...]:
        self._expect("{")
        fields = []
        while self._peek() != "}":
            if self._peek() in ("...", "@"):
                raise GraphQLError("Fragments and directives are not supported by the sandbox")
            fields.append(self._field())
        self._expect("}")
        return tuple(fields)

    def _field(self) -> Field:
        name, alias = self._name(), None
        if self._peek() == ":":
            self._next()
            alias, name = name, self._name()
        args: dict[str, object] = {}
        if self._peek() == "(":
            self._next()
            while self._peek() != ")":
                arg = self._name()
                self._expect(":")
                args[arg] = self._value(const=False)
            self._expect(")")
        selections = self._selection_set() if self._peek() == "{" else ()
        return Field(name, alias, args, selections)

    def _value(self, *, const: bool) -> object:
        kind, text = self._tokens[self._at] if self._at < len(self._tokens) else ("", "")
        self._at += 1
        if text == "$" and not const:
            return self._variables.get(self._name())
        if kind == "string":
            return json.loads(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if text == "[":
            items = []
            while self._peek() != "]":
                items.append(self._value(const=const))
            self._next()
            return items
        if text == "{":
            obj: dict[str, object] = {}
            while self._peek() != "}":
                key = self._name()
                self._expect(":")
                obj[key] = self._value(const=const)
            self._next()
            return obj
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, Enum(text))
        raise GraphQLError(f"Parse error on {text!r}")

    def _name(self) -> str:
        if self._kind() != "name":
            raise GraphQLError(f"Parse error on {self._peek()!r}: a name was expected")
        return self._next()

    def _expect(self, text: str) -> None:
        if self._next() != text:
            raise GraphQLError(f"Parse error: {text!r} was expected")

    def _peek(self) -> str:
        return self._tokens[self._at][1] if self._at < len(self._tokens) else ""

    def _kind(self) -> str:
        return self._tokens[self._at][0] if self._at < len(self._tokens) else ""

    def _next(self) -> str:
        if self._at >= len(self._tokens):
            raise GraphQLError("Parse error: unexpected end of document")
        self._at += 1
        return self._tokens[self._at - 1][1]
