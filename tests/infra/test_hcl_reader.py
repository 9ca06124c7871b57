"""The HCL parser, the expression evaluator and moddoc, in-process (pure Python, no toolchain)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

IAC = Path(__file__).resolve().parents[2] / "tools" / "iac"
sys.path.insert(0, str(IAC))

import hcl  # noqa: E402
import hcleval  # noqa: E402
import moddoc  # noqa: E402
import terragrunt  # noqa: E402

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"


def value(expr: str, variables: dict | None = None):
    node = hcl.parse_expression(expr, "t.hcl")
    return hcleval.evaluate(node, hcleval.Scope(variables or {}, hcleval.builtin_functions(), "t.hcl"))


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("merge({a = 1}, {b = 2}, {a = 3})", {"a": 3, "b": 2}),
        ('lookup({a = "x"}, "b", "d")', "d"),
        ('try(local.missing, "fallback")', "fallback"),
        ('format("%s-%03d", "web", 7)', "web-007"),
        ('join(",", split("/", "a/b/c"))', "a,b,c"),
        ('replace("a.b.c", ".", "-")', "a-b-c"),
        ('replace("v1.2.3", "/[0-9]/", "N")', "vN.N.N"),
        ('upper(lower("MiXed"))', "MIXED"),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ('tomap({a = "b"})', {"a": "b"}),
        ('tolist(toset(["a", "a", "b"]))', ["a", "b"]),
        ("jsonencode({a = [1, true, null]})", '{"a":[1,true,null]}'),
        ('[for k, v in {a = 1, b = 2} : "${k}=${v}" if v > 1]', ["b=2"]),
        ('{for s in ["x", "y"] : s => upper(s)}', {"x": "X", "y": "Y"}),
        ('cidrsubnet("10.0.0.0/16", 8, 3)', "10.0.3.0/24"),
        ("slice([1, 2, 3, 4], 1, 3)", [2, 3]),
        ('"%{if true}yes%{else}no%{endif}"', "yes"),
        ("[{a = 1}, {a = 2}][*].a", [1, 2]),
        ("1 + 2 * 3 == 7 && !false", True),
        ('basename("/a/b/c.hcl")', "c.hcl"),
        ('dirname("/a/b/c.hcl")', "/a/b"),
    ],
)
def test_terraform_functions_evaluate_like_terraform(expr, expected):
    assert value(expr, {"local": {}}) == expected


def test_unknown_function_is_an_error_naming_file_and_line():
    node = hcl.parse("a = 1\nb = frobnicate(1)\n", "unit.hcl").attributes["b"].expr
    with pytest.raises(hcleval.EvalError) as err:
        hcleval.evaluate(node, hcleval.Scope({}, hcleval.builtin_functions(), "unit.hcl"))
    assert str(err.value) == "unit.hcl:2: unknown function frobnicate()"


def test_syntax_error_names_file_and_line():
    with pytest.raises(hcl.HclError) as err:
        hcl.parse('locals {\n  a = "x"\n  b = \n}\n', "bad.hcl")
    assert str(err.value).startswith("bad.hcl:3:")


def test_heredoc_templates_interpolate_and_strip_indentation():
    body = hcl.parse('x = <<-EOF\n    a = "${v}"\n      b\n  EOF\n', "h.hcl")
    scope = hcleval.Scope({"v": 1}, hcleval.builtin_functions(), "h.hcl")
    assert hcleval.evaluate(body.attributes["x"].expr, scope) == 'a = "1"\n  b\n'


def test_reader_resolves_includes_locals_and_terragrunt_functions():
    reader = terragrunt.Reader(GOOD)
    unit = reader.load_unit(GOOD / "live/dev/eu-west-1/logs/terragrunt.hcl")
    assert unit.errors == []
    # deep merge: the root's tags and the unit's own
    assert unit.inputs["tags"] == {
        "project": "fixture",
        "env": "dev",
        "managed-by": "terragrunt",
        "unit": "up/up/up/..",
    }
    assert unit.inputs["name"] == "fixture-dev-logs"
    # path_relative_to_include() in the root's remote_state
    assert unit.remote_state["config"]["key"] == "live/dev/eu-west-1/logs/terraform.tfstate"
    assert unit.module_dir == (GOOD / "modules/logs").resolve()
    assert 'region              = "eu-west-1"' in unit.generate["provider"]["contents"]


def test_find_in_parent_folders_never_leaves_the_checked_tree(tmp_path):
    shutil.copytree(GOOD, tmp_path / "t")
    (tmp_path / "t" / "terragrunt.hcl").unlink()
    (tmp_path / "terragrunt.hcl").write_text("locals {}\n")  # outside the tree: must not be found
    reader = terragrunt.Reader(tmp_path / "t")
    unit = reader.load_unit(tmp_path / "t/live/dev/eu-west-1/logs/terragrunt.hcl")
    assert any("no terragrunt.hcl in any parent folder" in m for m, _f, _l in unit.errors)


def test_moddoc_rewrites_only_between_the_markers(tmp_path):
    module = tmp_path / "logs"
    shutil.copytree(GOOD / "modules/logs", module)
    readme = module / "README.md"
    text = readme.read_text().replace("| `tags` |", "| `tagz` |")
    readme.write_text("Author's intro.\n\n" + text.split("\n", 1)[1] + "\nAuthor's footer.\n")
    assert moddoc.check([module])
    rc = subprocess.run(
        [sys.executable, str(IAC / "moddoc.py"), str(module)], capture_output=True, check=False
    ).returncode
    assert rc == 0
    fresh = readme.read_text()
    assert fresh.startswith("Author's intro.")
    assert fresh.rstrip().endswith("Author's footer.")
    assert "| `tags` | Tags added to every resource. | `map(string)` | `{}` | no |" in fresh
    assert moddoc.check([module]) == []


@pytest.mark.parametrize(
    ("constraint", "ok"),
    [(">= 1.11.0, < 2.0.0", True), ("~> 1.15", True), ("~> 1.14.0", False), ("< 1.10", False)],
)
def test_version_constraints_follow_terraform_semantics(constraint, ok):
    assert terragrunt.satisfies("1.15.5", constraint) is ok


def test_terraform_version_constraint_excluding_the_checked_terraform_is_reported(tmp_path):
    shutil.copytree(GOOD, tmp_path / "t")
    root = tmp_path / "t" / "terragrunt.hcl"
    root.write_text(root.read_text().replace(">= 1.11.0, < 2.0.0", "~> 1.9.0"))
    reader = terragrunt.Reader(tmp_path / "t")
    units = [reader.load_unit(f) for f in terragrunt.find_units(tmp_path / "t")]
    problems = terragrunt.check_units(reader, units)
    messages = {(m, f, ln) for _u, m, f, ln in problems}
    assert (
        "terraform_version_constraint '~> 1.9.0' excludes Terraform 1.15.5, the version these checks run",
        "terragrunt.hcl",
        2,
    ) in messages
