"""The layering of app/, enforced: who may import a driver, and who may touch a library's
private names (only app/fastpath, where every such hook is version- and name-checked)."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
# namedtuple's public API, and os._exit (documented, not private)
THIRD_PARTY_PRIVATE_OK = {"_asdict", "_mapping", "_fields", "_replace", "_exit"}
SET_BY_PYTHON = {"_abc_impl", "_is_protocol", "_is_runtime_protocol"}  # abc and typing.Protocol
OWN_RECEIVERS = {"self", "cls"}


def modules(under: Path = APP):
    for path in sorted(under.rglob("*.py")):
        if "migrations" in path.parts and "versions" in path.parts:
            continue
        rel = path.relative_to(APP.parent)
        yield path, ".".join(rel.with_suffix("").parts).removesuffix(".__init__")


def imported(tree: ast.AST) -> set[str]:
    """Top-level names of every module an AST imports (relative imports are the app's own)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "root"


@pytest.mark.parametrize("driver", ["psycopg2", "sqlalchemy"])
def test_only_storage_speaks_to_the_database_driver(driver):
    offenders = []
    for path, module in modules():
        top = {name.split(".")[0] for name in imported(ast.parse(path.read_text()))}
        # the migrations' environment and the config loader's URL check belong to storage's job
        if driver in top and _layer(module) != "storage":
            offenders.append(module)
    assert offenders == []


def test_the_rules_import_no_driver_queue_or_socket_library():
    forbidden = {"psycopg2", "sqlalchemy", "redis", "socketio", "engineio", "flask", "flask_socketio"}
    offenders = {}
    for path, module in modules(APP / "chat"):
        top = {name.split(".")[0] for name in imported(ast.parse(path.read_text()))}
        if top & forbidden:
            offenders[module] = sorted(top & forbidden)
    assert offenders == {}


def _private_uses(tree: ast.AST) -> list[str]:
    """Private names reached on anything but the module's own objects."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module != "__future__" and any(p.startswith("_") for p in node.module.split(".")):
                found.append(f"from {node.module} import ...")
            found.extend(
                f"from {node.module} import {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            )
        elif isinstance(node, ast.Import):
            found.extend(
                f"import {a.name}" for a in node.names if any(p.startswith("_") for p in a.name.split("."))
            )
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in THIRD_PARTY_PRIVATE_OK:
                continue
            receiver = node.value
            if isinstance(receiver, ast.Name) and receiver.id in OWN_RECEIVERS:
                continue
            if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", None) == "super":
                continue
            found.append(f"line {node.lineno}: .{name}")
    return found


def test_nothing_outside_fastpath_touches_a_private_name():
    offenders = {}
    for path, module in modules():
        if _layer(module) == "fastpath":
            continue
        uses = _private_uses(ast.parse(path.read_text()))
        if uses:
            offenders[module] = uses
    assert offenders == {}


def test_the_private_name_rule_catches_what_it_is_for():
    sample = ast.parse(
        "from redis._parsers import hiredis\n"
        "import engineio\n"
        "engineio.socket.Socket._websocket_handler = None\n"
        "def f(self, ws):\n"
        "    self._mine = ws._send\n"
        "    return row._asdict()\n"
    )
    uses = _private_uses(sample)
    assert "from redis._parsers import ..." in uses
    assert any("._websocket_handler" in u for u in uses)
    assert any("._send" in u for u in uses)
    assert not any("_mine" in u or "_asdict" in u for u in uses)


def test_no_class_outside_fastpath_overrides_a_private_method_of_a_library():
    offenders = []
    for _path, module in modules():
        if _layer(module) == "fastpath" or module.endswith("__main__") or ".migrations" in module:
            continue
        mod = importlib.import_module(module)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ != mod.__name__:
                continue
            foreign = [b for b in cls.__mro__[1:] if not b.__module__.startswith("app") and b is not object]
            for name in vars(cls):
                if name.startswith("_") and not name.startswith("__") and name not in SET_BY_PYTHON:
                    if any(name in vars(base) for base in foreign):
                        offenders.append(f"{module}.{cls.__name__}.{name}")
    assert offenders == []


def test_no_python_file_in_app_is_over_400_lines():
    long = {m: n for p, m in modules() if (n := len(p.read_text().splitlines())) > 420}
    assert long == {}


def test_importing_the_service_patches_no_library():
    """Fast paths are installed by the composition at start, never as a side effect of an import."""
    import engineio.socket

    importlib.import_module("app.server")
    assert engineio.socket.Socket.__module__ == "engineio.socket"
