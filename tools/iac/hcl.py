"""A small HCL 2 parser: bodies, blocks and the full expression syntax, with line numbers.

Terraform's own parser is not reachable from Python, and python-hcl2 flattens expressions to
strings; the Terragrunt reader needs real expression trees (to evaluate them, to find every
`dependency.X.outputs.Y`, to name the file and line of an unknown function), and moddoc needs the
source text of each variable's type and default. Both come from this parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class HclError(Exception):
    def __init__(self, message: str, file: str = "", line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        return f"{where}{self.message}"


@dataclass
class Node:
    kind: str  # lit tmpl var attr index splat call cond binop unop tuple object for paren
    line: int
    args: tuple = ()
    start: int = 0
    end: int = 0


@dataclass
class Attribute:
    name: str
    expr: Node
    line: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int


@dataclass
class Body:
    attributes: dict[str, Attribute] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.type == kind]


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
BINOPS = [
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<=", ">=", "<", ">"),
    ("+", "-"),
    ("*", "/", "%"),
]
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class Parser:
    def __init__(self, text: str, file: str = ""):
        self.s = text
        self.i = 0
        self.file = file
        self.n = len(text)
        self.depth = 0  # inside (), [] or {} of an expression newlines are insignificant

    # -- low level -------------------------------------------------------------------------
    def line(self, pos: int | None = None) -> int:
        return self.s.count("\n", 0, self.i if pos is None else pos) + 1

    def error(self, message: str, pos: int | None = None) -> HclError:
        return HclError(message, self.file, self.line(pos))

    def skip(self, newlines: bool) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.i += 1
            elif c == "#" or s.startswith("//", self.i):
                while self.i < n and s[self.i] != "\n":
                    self.i += 1
            elif s.startswith("/*", self.i):
                end = s.find("*/", self.i + 2)
                if end < 0:
                    raise self.error("unterminated comment")
                self.i = end + 2
            else:
                break

    def ws(self) -> None:
        self.skip(self.depth > 0)

    def peek(self, tok: str) -> bool:
        self.ws()
        return self.s.startswith(tok, self.i)

    def accept(self, tok: str) -> bool:
        if self.peek(tok):
            self.i += len(tok)
            return True
        return False

    def expect(self, tok: str) -> None:
        if not self.accept(tok):
            found = self.s[self.i : self.i + 12].split("\n")[0] or "end of file"
            raise self.error(f"expected {tok!r}, found {found!r}")

    def ident(self) -> str | None:
        self.ws()
        m = IDENT.match(self.s, self.i)
        if not m:
            return None
        self.i = m.end()
        return m.group(0)

    # -- bodies ----------------------------------------------------------------------------
    def body(self, closing: str | None = None) -> Body:
        body = Body()
        while True:
            self.skip(True)
            if self.i >= self.n:
                if closing:
                    raise self.error(f"missing {closing!r}")
                return body
            if closing and self.s.startswith(closing, self.i):
                self.i += 1
                return body
            start = self.i
            name = self.ident()
            if name is None:
                raise self.error(f"expected an argument or block, found {self.s[self.i]!r}")
            line = self.line(start)
            self.skip(False)
            if self.s.startswith("=", self.i) and not self.s.startswith("==", self.i):
                self.i += 1
                expr = self.expression()
                if name in body.attributes:
                    raise self.error(f"argument {name!r} is set twice", start)
                body.attributes[name] = Attribute(name, expr, line)
                self.end_of_line()
                continue
            labels = []
            while True:
                self.skip(False)
                if self.s.startswith('"', self.i):
                    node = self.string()
                    if node.kind != "lit":
                        raise self.error("block labels cannot contain templates", start)
                    labels.append(node.args[0])
                    continue
                lab = self.ident()
                if lab is None:
                    break
                labels.append(lab)
            self.skip(False)
            if not self.s.startswith("{", self.i):
                raise self.error(f"expected '=' or '{{' after {name!r}")
            self.i += 1
            saved, self.depth = self.depth, 0
            inner = self.body("}")
            self.depth = saved
            body.blocks.append(Block(name, labels, inner, line))

    def end_of_line(self) -> None:
        self.skip(False)
        if self.i < self.n and self.s[self.i] not in "\n}":
            raise self.error(f"unexpected {self.s[self.i : self.i + 10]!r} after an argument")

    # -- expressions -----------------------------------------------------------------------
    def mk(self, kind: str, start: int, *args) -> Node:
        return Node(kind, self.line(start), tuple(args), start, self.i)

    def expression(self) -> Node:
        self.ws()
        start = self.i
        cond = self.binary(0)
        if self.accept("?"):
            self.depth += 1
            yes = self.expression()
            self.expect(":")
            self.depth -= 1
            no = self.expression()
            return self.mk("cond", start, cond, yes, no)
        return cond

    def binary(self, level: int) -> Node:
        if level == len(BINOPS):
            return self.unary()
        self.ws()
        start = self.i
        left = self.binary(level + 1)
        while True:
            self.ws()
            op = next((o for o in BINOPS[level] if self.s.startswith(o, self.i)), None)
            if op is None:
                return left
            self.i += len(op)
            right = self.binary(level + 1)
            left = self.mk("binop", start, op, left, right)

    def unary(self) -> Node:
        self.ws()
        start = self.i
        if self.s.startswith("!", self.i) and not self.s.startswith("!=", self.i):
            self.i += 1
            return self.mk("unop", start, "!", self.unary())
        if self.s.startswith("-", self.i):
            self.i += 1
            return self.mk("unop", start, "-", self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        start = self.i
        node = self.primary()
        while True:
            if self.s.startswith(".*", self.i) or self.s.startswith("[*]", self.i):
                self.i += 2 if self.s.startswith(".*", self.i) else 3
                ops = self.splat_ops()
                node = self.mk("splat", start, node, ops)
                continue
            if self.s.startswith(".", self.i) and not self.s.startswith("...", self.i):
                self.i += 1
                m = NUMBER.match(self.s, self.i)
                if m and m.group(0).isdigit():
                    self.i = m.end()
                    node = self.mk("index", start, node, Node("lit", self.line(), (int(m.group(0)),)))
                    continue
                name = self.ident()
                if name is None:
                    raise self.error("expected an attribute name after '.'")
                node = self.mk("attr", start, node, name)
                continue
            if self.s.startswith("[", self.i):
                self.i += 1
                self.depth += 1
                key = self.expression()
                self.expect("]")
                self.depth -= 1
                node = self.mk("index", start, node, key)
                continue
            return node

    def splat_ops(self) -> list:
        ops = []
        while True:
            if self.s.startswith(".", self.i) and not self.s.startswith(".*", self.i):
                self.i += 1
                ops.append(("attr", self.ident()))
            elif self.s.startswith("[", self.i) and not self.s.startswith("[*]", self.i):
                self.i += 1
                self.depth += 1
                ops.append(("index", self.expression()))
                self.expect("]")
                self.depth -= 1
            else:
                return ops

    def primary(self) -> Node:
        self.ws()
        start = self.i
        s = self.s
        if self.i >= self.n:
            raise self.error("expected an expression, found end of file")
        c = s[self.i]
        if c == '"':
            return self.string()
        if s.startswith("<<", self.i):
            return self.heredoc()
        if c.isdigit():
            m = NUMBER.match(s, self.i)
            self.i = m.end()
            text = m.group(0)
            value = float(text) if any(ch in text for ch in ".eE") else int(text)
            return self.mk("lit", start, value)
        if c == "(":
            self.i += 1
            self.depth += 1
            inner = self.expression()
            self.expect(")")
            self.depth -= 1
            return self.mk("paren", start, inner)
        if c == "[":
            return self.tuple_or_for(start)
        if c == "{":
            return self.object_or_for(start)
        name = self.ident()
        if name is None:
            raise self.error(f"expected an expression, found {c!r}")
        if name in ("true", "false"):
            return self.mk("lit", start, name == "true")
        if name == "null":
            return self.mk("lit", start, None)
        while s.startswith("::", self.i):
            self.i += 2
            name += "::" + (self.ident() or "")
        if s.startswith("(", self.i):
            self.i += 1
            self.depth += 1
            args, expand = [], False
            while not self.accept(")"):
                args.append(self.expression())
                if self.accept("..."):
                    expand = True
                if not self.accept(","):
                    self.expect(")")
                    break
            self.depth -= 1
            return self.mk("call", start, name, args, expand)
        return self.mk("var", start, name)

    def tuple_or_for(self, start: int) -> Node:
        self.i += 1
        self.depth += 1
        self.ws()
        if self.s.startswith("for", self.i) and re.match(r"for\s", self.s[self.i : self.i + 4]):
            self.i += 3
            k, v, coll = self.for_intro()
            value = self.expression()
            cond = self.expression() if self.accept_word("if") else None
            self.expect("]")
            self.depth -= 1
            return self.mk("for", start, "tuple", k, v, coll, None, value, cond, False)
        items = []
        while not self.accept("]"):
            items.append(self.expression())
            if not self.accept(","):
                self.expect("]")
                break
        self.depth -= 1
        return self.mk("tuple", start, items)

    def accept_word(self, word: str) -> bool:
        self.ws()
        if re.match(word + r"\b", self.s[self.i : self.i + len(word) + 1]):
            self.i += len(word)
            return True
        return False

    def for_intro(self):
        first = self.ident()
        second = None
        if self.accept(","):
            second = self.ident()
        if not self.accept_word("in"):
            raise self.error("expected 'in' in a for expression")
        coll = self.expression()
        self.expect(":")
        key, value = (first, second) if second else (None, first)
        return key, value, coll

    def object_or_for(self, start: int) -> Node:
        self.i += 1
        self.depth += 1
        self.ws()
        if re.match(r"for\s", self.s[self.i : self.i + 4]):
            self.i += 3
            k, v, coll = self.for_intro()
            key = self.expression()
            self.expect("=>")
            value = self.expression()
            group = self.accept("...")
            cond = self.expression() if self.accept_word("if") else None
            self.expect("}")
            self.depth -= 1
            return self.mk("for", start, "object", k, v, coll, key, value, cond, group)
        items = []
        while not self.accept("}"):
            kstart = self.i
            key = self.expression()
            if key.kind == "var":
                key = Node("lit", key.line, (key.args[0],), key.start, key.end)
            if not (self.accept("=") or self.accept(":")):
                raise self.error("expected '=' or ':' after an object key", kstart)
            value = self.expression()
            items.append((key, value))
            self.accept(",")
        self.depth -= 1
        return self.mk("object", start, items)

    # -- templates -------------------------------------------------------------------------
    def string(self) -> Node:
        start = self.i
        self.i += 1
        parts = self.template_parts(quoted=True)
        return self.template_node(start, parts)

    def heredoc(self) -> Node:
        start = self.i
        m = HEREDOC.match(self.s, self.i)
        if not m:
            raise self.error("malformed heredoc")
        strip, marker = m.group(1) == "-", m.group(2)
        end_re = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*$", re.M)
        em = end_re.search(self.s, m.end())
        if not em:
            raise self.error(f"heredoc {marker} is not closed")
        raw = self.s[m.end() : em.start()]
        if strip:
            lines = raw.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents, default=0)
            raw = "\n".join(ln[cut:] for ln in lines)
        sub = Parser(raw, self.file)
        parts = sub.template_parts(quoted=False)
        self.i = em.end()
        shift_lines(parts, self.line(m.end()) - 1)
        return self.template_node(start, parts)

    def template_node(self, start: int, parts: list) -> Node:
        parts = build_directives(parts, self)
        if all(isinstance(p, str) for p in parts):
            return self.mk("lit", start, "".join(parts))
        return self.mk("tmpl", start, parts)

    def template_parts(self, quoted: bool) -> list:
        parts: list = []
        buf: list[str] = []
        s = self.s
        while True:
            if self.i >= self.n:
                if quoted:
                    raise self.error("unterminated string")
                break
            c = s[self.i]
            if quoted and c == '"':
                self.i += 1
                break
            if quoted and c == "\n":
                raise self.error("unterminated string (newline inside quotes)")
            if quoted and c == "\\":
                nxt = s[self.i + 1 : self.i + 2]
                if nxt in ESCAPES:
                    buf.append(ESCAPES[nxt])
                    self.i += 2
                elif nxt == "u":
                    buf.append(chr(int(s[self.i + 2 : self.i + 6], 16)))
                    self.i += 6
                else:
                    raise self.error(f"invalid escape \\{nxt}")
                continue
            if s.startswith("$${", self.i) or s.startswith("%%{", self.i):
                buf.append(s[self.i + 1 : self.i + 3])
                self.i += 3
                continue
            if s.startswith("${", self.i) or s.startswith("%{", self.i):
                directive = c == "%"
                self.i += 2
                strip_left = self.accept("~")
                if buf:
                    parts.append("".join(buf))
                    buf = []
                if strip_left and parts and isinstance(parts[-1], str):
                    parts[-1] = parts[-1].rstrip()
                saved, self.depth = self.depth, 1
                if directive:
                    parts.append(self.directive())
                else:
                    parts.append(self.expression())
                strip_right = self.accept("~")
                self.expect("}")
                self.depth = saved
                if strip_right:
                    while self.i < self.n and s[self.i] in " \t\r\n":
                        self.i += 1
                continue
            buf.append(c)
            self.i += 1
        if buf:
            parts.append("".join(buf))
        return parts

    def directive(self) -> tuple:
        if self.accept_word("if"):
            return ("if", self.expression())
        if self.accept_word("else"):
            return ("else",)
        if self.accept_word("endif"):
            return ("endif",)
        if self.accept_word("endfor"):
            return ("endfor",)
        if self.accept_word("for"):
            first = self.ident()
            second = self.ident() if self.accept(",") else None
            if not self.accept_word("in"):
                raise self.error("expected 'in' in a template for directive")
            coll = self.expression()
            key, value = (first, second) if second else (None, first)
            return ("for", key, value, coll)
        raise self.error("unknown template directive")


def shift_lines(node, offset: int) -> None:
    if isinstance(node, Node):
        node.line += offset
        for a in node.args:
            shift_lines(a, offset)
    elif isinstance(node, (list, tuple)):
        for a in node:
            shift_lines(a, offset)


def build_directives(parts: list, parser: Parser) -> list:
    """Turns the flat %{if}/%{for} markers of a template into nested nodes."""
    out: list = []
    stack: list = []
    for p in parts:
        if isinstance(p, tuple):
            if p[0] in ("if", "for"):
                stack.append((p, out, []))
                out = stack[-1][2]
                continue
            if p[0] == "else":
                head, parent, then = stack[-1]
                stack[-1] = (head, parent, then, [])
                out = stack[-1][3]
                continue
            if p[0] in ("endif", "endfor"):
                frame = stack.pop()
                head, parent = frame[0], frame[1]
                then = frame[2]
                other = frame[3] if len(frame) > 3 else []
                out = parent
                if head[0] == "if":
                    out.append(Node("tmpl_if", head[1].line, (head[1], then, other)))
                else:
                    out.append(Node("tmpl_for", head[3].line, (head[1], head[2], head[3], then)))
                continue
        out.append(p)
    if stack:
        raise parser.error("template directive is not closed")
    return out


def parse(text: str, file: str = "") -> Body:
    return Parser(text, file).body()


def parse_expression(text: str, file: str = "") -> Node:
    p = Parser(text, file)
    p.depth = 1
    node = p.expression()
    p.skip(True)
    if p.i < p.n:
        raise p.error("unexpected text after the expression")
    return node
