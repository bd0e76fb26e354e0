"""Reading SQLite's stored CREATE TABLE / CREATE INDEX text with a small tokenizer.

SQLite's PRAGMAs do not report CHECK bodies, constraint names, DEFERRABLE or
AUTOINCREMENT, and a table rebuild must keep them. We tokenize the stored
SQL (quotes, comments and nesting handled; never regexes) and slice the
original text between token positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Token",
    "tokenize",
    "ParsedColumn",
    "ParsedConstraint",
    "ParsedTable",
    "parse_create_table",
    "index_condition",
    "index_expressions",
    "mentions_identifier",
    "rename_identifier",
]


@dataclass(frozen=True)
class Token:
    """One token: kind is word, ident (quoted identifier), string, number or punct."""

    kind: str
    value: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        """True when this is an unquoted keyword among ``words`` (case-insensitive)."""
        return self.kind == "word" and self.value.upper() in words


_CLOSERS = {'"': '"', "`": "`", "[": "]"}


def tokenize(sql: str) -> list[Token]:
    """Split SQL text into tokens, skipping whitespace and comments."""
    tokens: list[Token] = []
    position, length = 0, len(sql)
    while position < length:
        char = sql[position]
        if char.isspace():
            position += 1
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            position = length if end == -1 else end + 1
        elif sql.startswith("/*", position):
            end = sql.find("*/", position + 2)
            position = length if end == -1 else end + 2
        elif char == "'" or char in _CLOSERS:
            closer = "'" if char == "'" else _CLOSERS[char]
            cursor = position + 1
            parts = []
            while cursor < length:
                if sql[cursor] == closer:
                    if closer != "]" and cursor + 1 < length and sql[cursor + 1] == closer:
                        parts.append(closer)
                        cursor += 2
                        continue
                    break
                parts.append(sql[cursor])
                cursor += 1
            kind = "string" if char == "'" else "ident"
            tokens.append(Token(kind, "".join(parts), position, cursor + 1))
            position = cursor + 1
        elif char.isalnum() or char in "_$" or ord(char) > 127:
            cursor = position
            while cursor < length and (
                sql[cursor].isalnum() or sql[cursor] in "_$" or ord(sql[cursor]) > 127
            ):
                cursor += 1
            text = sql[position:cursor]
            kind = "number" if text[0].isdigit() else "word"
            tokens.append(Token(kind, text, position, cursor))
            position = cursor
        else:
            tokens.append(Token("punct", char, position, position + 1))
            position += 1
    return tokens


def _matching_paren(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        if tokens[index].kind == "punct":
            if tokens[index].value == "(":
                depth += 1
            elif tokens[index].value == ")":
                depth -= 1
                if depth == 0:
                    return index
    raise ValueError("unbalanced parentheses in stored SQL")


def _split_items(tokens: list[Token]) -> list[list[Token]]:
    """Split tokens at commas that are not nested in parentheses."""
    items: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.value == "(":
            depth += 1
        elif token.kind == "punct" and token.value == ")":
            depth -= 1
        if depth == 0 and token.kind == "punct" and token.value == ",":
            items.append([])
        else:
            items[-1].append(token)
    return [item for item in items if item]


def _names(tokens: list[Token]) -> tuple[str, ...]:
    return tuple(token.value for token in tokens if token.kind in ("word", "ident", "string"))


@dataclass
class ParsedColumn:
    """What the PRAGMAs do not tell about a column."""

    name: str
    checks: list[str] = field(default_factory=list)
    autoincrement: bool = False
    deferrable: bool = False
    #: ``GENERATED ALWAYS AS (generated_sql) STORED|VIRTUAL`` (VIRTUAL when not said).
    generated_sql: str | None = None
    generated_stored: bool = False


@dataclass
class ParsedConstraint:
    """A table-level constraint read from CREATE TABLE."""

    name: str | None
    kind: str
    columns: tuple[str, ...] = ()
    check_sql: str | None = None
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    deferrable: bool = False


@dataclass
class ParsedTable:
    """Columns (in order) and table constraints of a CREATE TABLE statement."""

    columns: dict[str, ParsedColumn]
    constraints: list[ParsedConstraint]


def _paren_body(sql: str, tokens: list[Token], open_index: int) -> tuple[str, int]:
    close = _matching_paren(tokens, open_index)
    return sql[tokens[open_index].end : tokens[close].start].strip(), close


def _is_deferrable(tokens: list[Token]) -> bool:
    for index, token in enumerate(tokens):
        if token.is_word("DEFERRABLE") and not (index and tokens[index - 1].is_word("NOT")):
            rest = tokens[index + 1 : index + 3]
            return len(rest) == 2 and rest[0].is_word("INITIALLY") and rest[1].is_word("DEFERRED")
    return False


def _parse_constraint(sql: str, item: list[Token]) -> ParsedConstraint | None:
    name = None
    index = 0
    if item[0].is_word("CONSTRAINT"):
        name = item[1].value
        index = 2
    head = item[index]
    if head.is_word("CHECK"):
        body, _ = _paren_body(sql, item, index + 1)
        return ParsedConstraint(name, "check", check_sql=body)
    kind = {"PRIMARY": "primary_key", "UNIQUE": "unique", "FOREIGN": "foreign_key"}.get(
        head.value.upper() if head.kind == "word" else ""
    )
    if kind is None:
        return None
    open_index = next(
        i for i in range(index, len(item)) if item[i].value == "(" and item[i].kind == "punct"
    )
    close = _matching_paren(item, open_index)
    columns = _names(item[open_index + 1 : close])
    constraint = ParsedConstraint(name, kind, columns)
    if kind == "foreign_key":
        rest = item[close + 1 :]
        ref_index = next(i for i, token in enumerate(rest) if token.is_word("REFERENCES"))
        constraint.ref_table = rest[ref_index + 1].value
        after = rest[ref_index + 2 :]
        if after and after[0].kind == "punct" and after[0].value == "(":
            ref_close = _matching_paren(after, 0)
            constraint.ref_columns = _names(after[1:ref_close])
        constraint.deferrable = _is_deferrable(rest)
    return constraint


_TABLE_CONSTRAINT_WORDS = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")


def parse_create_table(sql: str) -> ParsedTable:
    """Read column extras and table constraints from a stored CREATE TABLE statement."""
    tokens = tokenize(sql)
    open_index = next(
        i for i, token in enumerate(tokens) if token.kind == "punct" and token.value == "("
    )
    close = _matching_paren(tokens, open_index)
    parsed = ParsedTable({}, [])
    for item in _split_items(tokens[open_index + 1 : close]):
        if item[0].is_word(*_TABLE_CONSTRAINT_WORDS):
            constraint = _parse_constraint(sql, item)
            if constraint is not None:
                parsed.constraints.append(constraint)
            continue
        column = ParsedColumn(item[0].value)
        for index, token in enumerate(item[1:], start=1):
            if token.is_word("CHECK"):
                body, _ = _paren_body(sql, item, index + 1)
                column.checks.append(body)
            elif token.is_word("AUTOINCREMENT"):
                column.autoincrement = True
            elif (
                token.is_word("AS")
                and column.generated_sql is None
                and index + 1 < len(item)
                and item[index + 1].kind == "punct"
                and item[index + 1].value == "("
            ):
                column.generated_sql, close_index = _paren_body(sql, item, index + 1)
                after = item[close_index + 1 : close_index + 2]
                column.generated_stored = bool(after) and after[0].is_word("STORED")
        column.deferrable = _is_deferrable(item)
        parsed.columns[column.name] = column
    return parsed


def index_condition(sql: str | None) -> str | None:
    """Return the WHERE condition of a stored CREATE INDEX statement, or None."""
    if not sql:
        return None
    tokens = tokenize(sql)
    open_index = next(
        i for i, token in enumerate(tokens) if token.kind == "punct" and token.value == "("
    )
    close = _matching_paren(tokens, open_index)
    rest = tokens[close + 1 :]
    if rest and rest[0].is_word("WHERE"):
        return sql[rest[0].end :].strip().rstrip(";").strip() or None
    return None


def index_expressions(sql: str) -> tuple[str, ...]:
    """The key parts of a stored CREATE INDEX statement as SQL text, outer parentheses and order dropped."""
    tokens = tokenize(sql)
    open_index = next(
        i for i, token in enumerate(tokens) if token.kind == "punct" and token.value == "("
    )
    close = _matching_paren(tokens, open_index)
    parts = []
    for item in _split_items(tokens[open_index + 1 : close]):
        if len(item) > 1 and item[-1].is_word("ASC", "DESC"):
            item = item[:-1]
        if item[0].value == "(" and item[0].kind == "punct" and _matching_paren(item, 0) == len(item) - 1:
            item = item[1:-1]
        parts.append(sql[item[0].start : item[-1].end])
    return tuple(parts)


def _column_tokens(sql: str, column: str) -> list[Token]:
    """The tokens of ``sql`` naming column ``column`` (quoted, or bare and not a function call)."""
    tokens = tokenize(sql)
    found = []
    for position, token in enumerate(tokens):
        if token.value != column or token.kind not in ("ident", "word"):
            continue
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token.kind == "word" and following is not None and following.value == "(":
            continue
        found.append(token)
    return found


def mentions_identifier(sql: str, column: str) -> bool:
    """Whether the SQL expression ``sql`` names column ``column``."""
    return bool(_column_tokens(sql, column))


def rename_identifier(sql: str, old: str, new_quoted: str) -> str:
    """``sql`` with every mention of column ``old`` replaced by ``new_quoted`` (a quoted name)."""
    pieces = []
    position = 0
    for token in _column_tokens(sql, old):
        pieces.append(sql[position : token.start])
        pieces.append(new_quoted)
        position = token.end
    pieces.append(sql[position:])
    return "".join(pieces)
