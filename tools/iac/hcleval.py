"""Evaluates HCL expressions (from hcl.py) to Python values, with Terraform's built-in functions.

Values: str, int/float, bool, None, list, dict. Functions a configuration calls that are neither
here nor supplied by the caller (Terragrunt's) are errors naming the file and line.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

from hcl import HclError, Node


class EvalError(HclError):
    pass


class Scope:
    def __init__(self, variables: dict, functions: dict[str, Callable], file: str):
        self.variables = variables
        self.functions = functions
        self.file = file

    def child(self, extra: dict) -> Scope:
        return Scope({**self.variables, **extra}, self.functions, self.file)


def tostring(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v
    if v is None:
        raise TypeError("cannot use a null value in a string template")
    raise TypeError(f"cannot convert {type_name(v)} to string")


def type_name(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "tuple"
    if isinstance(v, dict):
        return "object"
    return "null"


def truthy(v) -> bool:
    if isinstance(v, bool):
        return v
    if v in ("true", "false"):
        return v == "true"
    raise TypeError(f"a condition must be bool, not {type_name(v)}")


def num(v):
    if isinstance(v, bool):
        raise TypeError("a number is required, not bool")
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            return int(v) if re.fullmatch(r"-?\d+", v) else float(v)
        except ValueError:
            pass
    raise TypeError(f"a number is required, not {type_name(v)}")


def norm(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (isinstance(a, bool) and isinstance(b, bool) and a == b)
    return a == b


def evaluate(node: Node, scope: Scope):
    try:
        return _eval(node, scope)
    except EvalError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError) as exc:
        raise EvalError(str(exc).strip("'\""), scope.file, node.line) from exc


def _eval(node: Node, scope: Scope):
    k, a = node.kind, node.args
    if k == "lit":
        return a[0]
    if k == "paren":
        return evaluate(a[0], scope)
    if k == "tmpl":
        return render_template(a[0], scope)
    if k == "var":
        if a[0] not in scope.variables:
            raise EvalError(f"unknown variable {a[0]!r}", scope.file, node.line)
        return scope.variables[a[0]]
    if k == "attr":
        obj = evaluate(a[0], scope)
        return get_attr(obj, a[1], node, scope)
    if k == "index":
        obj = evaluate(a[0], scope)
        key = evaluate(a[1], scope)
        if isinstance(obj, list):
            idx = int(num(key))
            if not 0 <= idx < len(obj):
                raise EvalError(f"index {idx} out of range (length {len(obj)})", scope.file, node.line)
            return obj[idx]
        if isinstance(obj, dict):
            if tostring(key) not in obj:
                raise EvalError(f"key {key!r} not found", scope.file, node.line)
            return obj[tostring(key)]
        raise EvalError(f"cannot index a {type_name(obj)}", scope.file, node.line)
    if k == "splat":
        obj = evaluate(a[0], scope)
        items = obj if isinstance(obj, list) else ([] if obj is None else [obj])
        out = []
        for item in items:
            v = item
            for op, arg in a[1]:
                if op == "attr":
                    v = get_attr(v, arg, node, scope)
                else:
                    key = evaluate(arg, scope)
                    v = v[int(num(key))] if isinstance(v, list) else v[tostring(key)]
            out.append(v)
        return out
    if k == "call":
        return call(node, scope)
    if k == "cond":
        return evaluate(a[1], scope) if truthy(evaluate(a[0], scope)) else evaluate(a[2], scope)
    if k == "unop":
        v = evaluate(a[1], scope)
        return (not truthy(v)) if a[0] == "!" else norm(-num(v))
    if k == "binop":
        return binop(a[0], a[1], a[2], scope)
    if k == "tuple":
        return [evaluate(x, scope) for x in a[0]]
    if k == "object":
        out = {}
        for kn, vn in a[0]:
            out[tostring(evaluate(kn, scope))] = evaluate(vn, scope)
        return out
    if k == "for":
        return for_expr(a, scope)
    raise EvalError(f"cannot evaluate {k}", scope.file, node.line)


def get_attr(obj, name: str, node: Node, scope: Scope):
    if isinstance(obj, dict):
        if name not in obj:
            raise EvalError(f"object has no attribute {name!r}", scope.file, node.line)
        return obj[name]
    raise EvalError(f"cannot read attribute {name!r} of a {type_name(obj)}", scope.file, node.line)


def binop(op: str, ln: Node, rn: Node, scope: Scope):
    if op == "&&":
        return truthy(evaluate(ln, scope)) and truthy(evaluate(rn, scope))
    if op == "||":
        return truthy(evaluate(ln, scope)) or truthy(evaluate(rn, scope))
    left, right = evaluate(ln, scope), evaluate(rn, scope)
    if op == "==":
        return equal(left, right)
    if op == "!=":
        return not equal(left, right)
    x, y = num(left), num(right)
    if op == "+":
        return norm(x + y)
    if op == "-":
        return norm(x - y)
    if op == "*":
        return norm(x * y)
    if op == "/":
        return norm(x / y)
    if op == "%":
        return norm(math.fmod(x, y))
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def iterate(coll):
    if isinstance(coll, dict):
        return list(coll.items())
    if isinstance(coll, list):
        return list(enumerate(coll))
    raise TypeError(f"cannot iterate over a {type_name(coll)}")


def for_expr(a, scope: Scope):
    kind, kname, vname, coll_node, key_node, value_node, cond_node, group = a
    coll = evaluate(coll_node, scope)
    tuple_out: list = []
    obj_out: dict = {}
    for key, value in iterate(coll):
        inner = scope.child({vname: value, **({kname: key} if kname else {})})
        if cond_node is not None and not truthy(evaluate(cond_node, inner)):
            continue
        if kind == "tuple":
            tuple_out.append(evaluate(value_node, inner))
            continue
        k = tostring(evaluate(key_node, inner))
        v = evaluate(value_node, inner)
        if group:
            obj_out.setdefault(k, []).append(v)
        elif k in obj_out:
            raise EvalError(f"duplicate key {k!r} in a for expression", scope.file, coll_node.line)
        else:
            obj_out[k] = v
    return tuple_out if kind == "tuple" else obj_out


def render_template(parts: list, scope: Scope) -> str:
    if len(parts) == 1 and isinstance(parts[0], Node) and parts[0].kind not in ("tmpl_if", "tmpl_for"):
        # "${x}" alone keeps x's type, as in Terraform.
        return evaluate(parts[0], scope)
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
        elif p.kind == "tmpl_if":
            cond, then, other = p.args
            out.append(render_parts(then if truthy(evaluate(cond, scope)) else other, scope))
        elif p.kind == "tmpl_for":
            kname, vname, coll_node, body = p.args
            for key, value in iterate(evaluate(coll_node, scope)):
                inner = scope.child({vname: value, **({kname: key} if kname else {})})
                out.append(render_parts(body, inner))
        else:
            out.append(tostring(evaluate(p, scope)))
    return "".join(out)


def render_parts(parts: list, scope: Scope) -> str:
    return "".join(p if isinstance(p, str) else tostring(render_template([p, ""], scope)) for p in parts)


def call(node: Node, scope: Scope):
    name, arg_nodes, expand = node.args
    fn = scope.functions.get(name)
    if fn is None:
        raise EvalError(f"unknown function {name}()", scope.file, node.line)
    if name in ("try", "can"):
        return fn(scope, arg_nodes)
    args = [evaluate(x, scope) for x in arg_nodes]
    if expand and args:
        args = args[:-1] + list(args[-1])
    try:
        return fn(*args)
    except EvalError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, OSError) as exc:
        raise EvalError(f"{name}(): {exc}", scope.file, node.line) from exc


# -- Terraform's built-in functions ---------------------------------------------------------


def _try(scope: Scope, nodes: list[Node]):
    last = None
    for n in nodes:
        try:
            return evaluate(n, scope)
        except EvalError as exc:
            if "unknown function" in exc.message:
                raise
            last = exc
    raise EvalError(f"try(): no expression succeeded ({last.message if last else ''})", scope.file)


def _can(scope: Scope, nodes: list[Node]):
    try:
        evaluate(nodes[0], scope)
        return True
    except EvalError as exc:
        if "unknown function" in exc.message:
            raise
        return False


def _merge(*maps):
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise TypeError("merge() takes maps or objects")
        out.update(m)
    return out


def _lookup(m, key, *default):
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise KeyError(f"lookup(): no key {key!r} and no default")


def _format(fmt: str, *args):
    it = iter(args)

    def repl(m):
        spec = m.group(0)
        if spec == "%%":
            return "%"
        v = next(it)
        conv = spec[-1]
        if conv == "v":
            return tostring(v) if not isinstance(v, (list, dict)) else json.dumps(v)
        if conv == "q":
            return json.dumps(tostring(v))
        if conv == "s":
            return tostring(v)
        if conv in "dfeEgGxXob":
            return spec.replace("%", "%", 1) % num(v) if conv != "b" else format(int(num(v)), "b")
        if conv == "t":
            return tostring(bool(v))
        raise ValueError(f"unsupported format verb {spec}")

    return re.sub(r"%%|%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]", repl, fmt)


def _flatten(v):
    out = []
    for x in v:
        out.extend(_flatten(x) if isinstance(x, list) else [x])
    return out


def _distinct(v):
    out = []
    for x in v:
        if x not in out:
            out.append(x)
    return out


def _cidrsubnet(prefix, newbits, netnum):
    net = ipaddress.ip_network(prefix, strict=False)
    new_prefix = net.prefixlen + int(newbits)
    size = 2 ** (net.max_prefixlen - new_prefix)
    base = int(net.network_address) + int(netnum) * size
    if int(netnum) >= 2 ** int(newbits):
        raise ValueError("netnum too large for newbits")
    return str(ipaddress.ip_network((base, new_prefix)))


def _cidrhost(prefix, hostnum):
    net = ipaddress.ip_network(prefix, strict=False)
    n = int(hostnum)
    addr = (net.broadcast_address + 1 + n) if n < 0 else (net.network_address + n)
    return str(addr)


def _regex(pattern, s):
    m = re.search(_re(pattern), s)
    if not m:
        raise ValueError("pattern did not match")
    if m.groupdict():
        return m.groupdict()
    return list(m.groups()) if m.groups() else m.group(0)


def _re(pattern: str) -> str:
    return re.sub(r"\(\?P?<", "(?P<", pattern)


def _substr(s, offset, length):
    offset, length = int(num(offset)), int(num(length))
    if offset < 0:
        offset = len(s) + offset
    return s[offset:] if length < 0 else s[offset : offset + length]


def _slice(v, start, end):
    start, end = int(num(start)), int(num(end))
    if not 0 <= start <= end <= len(v):
        raise IndexError(f"slice({start}, {end}) out of range for length {len(v)}")
    return v[start:end]


def _element(v, i):
    if not v:
        raise IndexError("element() of an empty list")
    return v[int(num(i)) % len(v)]


def _range(*args):
    args = [num(a) for a in args]
    start, stop, step = (0, args[0], 1) if len(args) == 1 else ([*args, 1])[:3]
    out, x = [], start
    while (step > 0 and x < stop) or (step < 0 and x > stop):
        out.append(norm(x))
        x += step
    return out


def _zipmap(keys, values):
    return dict(zip(keys, values, strict=True))


def _coalesce(*args):
    for a in args:
        if a is not None and a != "":
            return a
    raise ValueError("no non-null, non-empty argument")


def _one(v):
    if len(v) > 1:
        raise ValueError("must be a list of zero or one element")
    return v[0] if v else None


def _setproduct(*sets):
    out = [[]]
    for s in sets:
        out = [[*x, y] for x in out for y in s]
    return out


def _tobool(v):
    if isinstance(v, bool) or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise TypeError(f"cannot convert {v!r} to bool")


def _yamldecode(s):
    try:
        import yaml
    except ImportError as exc:
        raise ValueError("yamldecode() needs PyYAML in the toolchain") from exc
    return yaml.safe_load(s)


def builtin_functions() -> dict[str, Callable]:
    f: dict[str, Callable] = {
        "abs": lambda x: norm(abs(num(x))),
        "ceil": lambda x: math.ceil(num(x)),
        "floor": lambda x: math.floor(num(x)),
        "log": lambda x, b: math.log(num(x), num(b)),
        "max": lambda *a: norm(max(num(x) for x in a)),
        "min": lambda *a: norm(min(num(x) for x in a)),
        "pow": lambda x, y: norm(num(x) ** num(y)),
        "signum": lambda x: (num(x) > 0) - (num(x) < 0),
        "parseint": lambda s, base: int(s, int(num(base))),
        "chomp": lambda s: s.rstrip("\r\n"),
        "endswith": lambda s, x: s.endswith(x),
        "startswith": lambda s, x: s.startswith(x),
        "format": _format,
        "formatlist": lambda fmt, *lists: [
            _format(fmt, *row)
            for row in zip(
                *[
                    x if isinstance(x, list) else [x] * max(len(y) for y in lists if isinstance(y, list))
                    for x in lists
                ],
                strict=False,
            )
        ],
        "indent": lambda n, s: s.replace("\n", "\n" + " " * int(num(n))),
        "join": lambda sep, *lists: sep.join(tostring(x) for lst in lists for x in lst),
        "lower": lambda s: s.lower(),
        "upper": lambda s: s.upper(),
        "title": lambda s: re.sub(r"\b(\w)", lambda m: m.group(1).upper(), s),
        "regex": _regex,
        "regexall": lambda p, s: [
            (m.groupdict() or (list(m.groups()) if m.groups() else m.group(0)))
            for m in re.finditer(_re(p), s)
        ],
        "replace": lambda s, old, new: (
            re.sub(_re(old[1:-1]), re.sub(r"\$(\d+)", r"\\\1", new), s)
            if len(old) > 1 and old.startswith("/") and old.endswith("/")
            else s.replace(old, new)
        ),
        "split": lambda sep, s: s.split(sep) if s else [""],
        "strrev": lambda s: s[::-1],
        "substr": _substr,
        "trim": lambda s, chars: s.strip(chars),
        "trimprefix": lambda s, p: s[len(p) :] if p and s.startswith(p) else s,
        "trimsuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
        "trimspace": lambda s: s.strip(),
        "strcontains": lambda s, x: x in s,
        "alltrue": lambda v: all(truthy(x) for x in v),
        "anytrue": lambda v: any(truthy(x) for x in v),
        "chunklist": lambda v, n: [v[i : i + int(num(n))] for i in range(0, len(v), int(num(n)))],
        "coalesce": _coalesce,
        "coalescelist": lambda *ls: next((x for x in ls if x), []),
        "compact": lambda v: [x for x in v if x not in (None, "")],
        "concat": lambda *ls: [x for lst in ls for x in lst],
        "contains": lambda v, x: any(equal(x, y) for y in v),
        "distinct": _distinct,
        "element": _element,
        "flatten": _flatten,
        "index": lambda v, x: v.index(x),
        "keys": lambda m: sorted(m),
        "length": lambda v: len(v),
        "lookup": _lookup,
        "matchkeys": lambda vals, keys, search: [v for v, k in zip(vals, keys, strict=True) if k in search],
        "merge": _merge,
        "one": _one,
        "range": _range,
        "reverse": lambda v: list(reversed(v)),
        "setintersection": lambda *s: [x for x in _distinct(s[0]) if all(x in o for o in s[1:])],
        "setproduct": _setproduct,
        "setsubtract": lambda a, b: [x for x in _distinct(a) if x not in b],
        "setunion": lambda *s: _distinct([x for lst in s for x in lst]),
        "slice": _slice,
        "sort": lambda v: sorted(tostring(x) for x in v),
        "sum": lambda v: norm(sum(num(x) for x in v)),
        "transpose": lambda m: {
            v: sorted(k for k, vs in m.items() if v in vs) for vs in m.values() for v in vs
        },
        "values": lambda m: [m[k] for k in sorted(m)],
        "zipmap": _zipmap,
        "base64decode": lambda s: base64.b64decode(s).decode(),
        "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
        "jsondecode": json.loads,
        "jsonencode": lambda v: json.dumps(v, separators=(",", ":")),
        "urlencode": lambda s: __import__("urllib.parse").parse.quote(s, safe=""),
        "yamldecode": _yamldecode,
        "csvdecode": lambda s: [
            dict(zip(s.splitlines()[0].split(","), row.split(","), strict=True)) for row in s.splitlines()[1:]
        ],
        "abspath": lambda p: os.path.abspath(p),
        "dirname": lambda p: os.path.dirname(p),
        "basename": lambda p: os.path.basename(p),
        "pathexpand": lambda p: os.path.expanduser(p),
        "file": lambda p: Path(p).read_text(),
        "fileexists": lambda p: Path(p).is_file(),
        "fileset": lambda d, pat: sorted(str(x.relative_to(d)) for x in Path(d).glob(pat) if x.is_file()),
        "filebase64": lambda p: base64.b64encode(Path(p).read_bytes()).decode(),
        "templatefile": None,  # filled in by the caller, which knows how to parse templates
        "md5": lambda s: hashlib.md5(s.encode()).hexdigest(),  # noqa: S324 - Terraform's md5()
        "sha1": lambda s: hashlib.sha1(s.encode()).hexdigest(),  # noqa: S324 - Terraform's sha1()
        "sha256": lambda s: hashlib.sha256(s.encode()).hexdigest(),
        "sha512": lambda s: hashlib.sha512(s.encode()).hexdigest(),
        "filemd5": lambda p: hashlib.md5(Path(p).read_bytes()).hexdigest(),  # noqa: S324
        "filesha256": lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest(),
        "base64sha256": lambda s: base64.b64encode(hashlib.sha256(s.encode()).digest()).decode(),
        "uuidv5": lambda ns, name: str(
            uuid.uuid5(
                {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL}.get(ns) or uuid.UUID(ns),
                name,
            )
        ),
        "cidrhost": _cidrhost,
        "cidrnetmask": lambda p: str(ipaddress.ip_network(p, strict=False).netmask),
        "cidrsubnet": _cidrsubnet,
        "cidrsubnets": lambda p, *bits: _cidrsubnets(p, bits),
        "tobool": _tobool,
        "tolist": lambda v: list(v),
        "tomap": lambda v: dict(v),
        "tonumber": lambda v: None if v is None else num(v),
        "toset": lambda v: _distinct(list(v)),
        "tostring": lambda v: None if v is None else tostring(v),
        "try": _try,
        "can": _can,
        "type": lambda v: type_name(v),
        "sensitive": lambda v: v,
        "nonsensitive": lambda v: v,
        "issensitive": lambda v: False,
        "timestamp": lambda: "2000-01-01T00:00:00Z",
        "plantimestamp": lambda: "2000-01-01T00:00:00Z",
    }
    return {k: v for k, v in f.items() if v is not None}


def _cidrsubnets(prefix, bits):
    net = ipaddress.ip_network(prefix, strict=False)
    out = []
    cursor = int(net.network_address)
    for b in bits:
        new_prefix = net.prefixlen + int(b)
        size = 2 ** (net.max_prefixlen - new_prefix)
        cursor = (cursor + size - 1) // size * size
        out.append(str(ipaddress.ip_network((cursor, new_prefix))))
        cursor += size
    return out
