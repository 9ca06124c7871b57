"""Turn a cdktn provider wheel's jsii assembly into a compact provider argument schema.

The cdktn-provider-* packages are generated from each provider's real schema, so their jsii
type information carries every resource, data source, argument and nested block with its type
and whether it is required. What the generator did not keep (list vs set, enum values,
ConflictsWith, exact item counts) cannot be recovered here; docs/verification.md says so.

Output JSON: {"provider", "version", "provider_config", "resources", "data_sources"}, where a
block is {argument: {"t": type, "r": 1?, "c": 1?} | {"block": {...}, "list": 0|1, "r": 1?}}.

Run: python schema.py WHEEL OUT.json  (stdlib only, so the toolchain can build it anywhere).
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import time
import zipfile
from pathlib import Path

TYPE_LINK = re.compile(
    r"providers/[\w-]+/(?P<prov>[\w-]+)/(?P<ver>[\w.\-]+)/docs/"
    r"(?P<kind>resources|data-sources)/\w+ (?P<name>\w+)\}"
)
PROVIDER_LINK = re.compile(r"providers/[\w-]+/(?P<prov>[\w-]+)/(?P<ver>[\w.\-]+)/docs (?P=prov)\}")
ANCHOR = re.compile(r"/docs/(?:resources|data-sources)/\w+#(\w+) ")
PROVIDER_ANCHOR = re.compile(r"/docs#(\w+) ")
CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class SchemaError(Exception):
    """The wheel does not hold a jsii assembly this extractor understands."""


def read_assembly(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith(".jsii.tgz")]
        if not names:
            raise SchemaError(f"{wheel.name}: no _jsii/*.jsii.tgz inside")
        blob = zf.read(names[0])
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tf:
        member = tf.extractfile("package/.jsii")
        if member is None:
            raise SchemaError(f"{wheel.name}: package/.jsii missing from {names[0]}")
        return json.load(member)


def snake_name(prop: dict) -> str:
    docs = prop.get("docs", {})
    text = docs.get("summary", "") + " " + docs.get("remarks", "")
    m = ANCHOR.search(text) or PROVIDER_ANCHOR.search(text)
    if m:
        return m.group(1)
    return CAMEL.sub("_", prop["name"]).lower()


class Extractor:
    def __init__(self, assembly: dict):
        self.types = assembly["types"]
        self.stack: list[str] = []

    def type_of(self, t: dict) -> tuple[str, dict | None, bool]:
        """(type string, nested block schema or None, block is a list)."""
        if "primitive" in t:
            return {"json": "any"}.get(t["primitive"], t["primitive"]), None, False
        if "collection" in t:
            c = t["collection"]
            et, nested, _ = self.type_of(c["elementtype"])
            if nested is not None:
                return "list", nested, True
            kind = "list" if c["kind"] == "array" else c["kind"]
            return f"{kind}({et})", None, False
        if "union" in t:
            parts = [p for p in t["union"]["types"] if not p.get("fqn", "").endswith(".IResolvable")]
            if len(parts) == 1:
                return self.type_of(parts[0])
            return "any", None, False
        fqn = t.get("fqn", "")
        spec = self.types.get(fqn)
        if spec and spec.get("kind") == "interface" and spec.get("datatype"):
            if fqn in self.stack:
                return "block", {"$recursive": fqn.rsplit(".", 1)[-1]}, False
            self.stack.append(fqn)
            try:
                return "block", self.struct(spec), False
            finally:
                self.stack.pop()
        return "any", None, False

    def struct(self, spec: dict) -> dict:
        out: dict = {}
        for prop in spec.get("properties", []):
            name = snake_name(prop)
            ty, nested, is_list = self.type_of(prop["type"])
            summary = prop.get("docs", {}).get("summary", "")
            if ty == "any" and summary.endswith(" block."):
                # The generator typed blocks nested too deep (or recursive) as `any`.
                nested, is_list = {"$any": 1}, True
            entry: dict = {"t": ty}
            if nested is not None:
                entry = {"block": nested, "list": 1 if is_list else 0}
            if not prop.get("optional"):
                entry["r"] = 1
            out[name] = entry
        return out

    def computed_attributes(self, cls: dict, schema: dict) -> None:
        """Attributes a resource exports but does not take: immutable getters not in config."""
        for prop in cls.get("properties", []):
            if prop.get("static") or not prop.get("immutable") or prop["name"].endswith("Input"):
                continue
            name = CAMEL.sub("_", prop["name"]).lower()
            if name in schema or name in ("fqn", "friendly_unique_id", "terraform_resource_type"):
                continue
            ty = prop["type"]
            if "primitive" in ty:
                ct = ty["primitive"]
            elif "collection" in ty and "primitive" in ty["collection"]["elementtype"]:
                kind = "list" if ty["collection"]["kind"] == "array" else ty["collection"]["kind"]
                ct = f"{kind}({ty['collection']['elementtype']['primitive']})"
            elif ty.get("fqn", "").endswith("StringMap"):
                ct = "map(string)"
            elif ty.get("fqn", "").endswith("NumberMap"):
                ct = "map(number)"
            elif ty.get("fqn", "").endswith("BooleanMap"):
                ct = "map(bool)"
            else:
                ct = "any"
            schema[name] = {"t": ct, "c": 1}

    def config_struct(self, cls: dict) -> dict:
        params = cls.get("initializer", {}).get("parameters", [])
        cfg = [p for p in params if p["name"] == "config"]
        if not cfg:
            return {}
        return self.struct(self.types[cfg[0]["type"]["fqn"]])

    def extract(self) -> dict:
        resources: dict = {}
        data_sources: dict = {}
        provider_cfg: dict = {}
        provider, version = "", ""
        for cls in self.types.values():
            if cls.get("kind") != "class":
                continue
            if not any(
                p.get("name") == "tfResourceType" and p.get("static") for p in cls.get("properties", [])
            ):
                continue
            summary = cls.get("docs", {}).get("summary", "")
            m = TYPE_LINK.search(summary)
            if m:
                schema = self.config_struct(cls)
                self.computed_attributes(cls, schema)
                target = resources if m.group("kind") == "resources" else data_sources
                target[m.group("name")] = schema
                provider, version = m.group("prov"), m.group("ver")
                continue
            p = PROVIDER_LINK.search(summary)
            if p:
                provider_cfg = self.config_struct(cls)
                provider, version = p.group("prov"), p.group("ver")
        provider_cfg.pop("alias", None)
        if not provider:
            raise SchemaError("no resource, data source or provider class found")
        return {
            "provider": provider,
            "version": version,
            "provider_config": provider_cfg,
            "resources": resources,
            "data_sources": data_sources,
        }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: schema.py WHEEL OUT.json", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        out = Extractor(read_assembly(Path(argv[1]))).extract()
    except (SchemaError, zipfile.BadZipFile, tarfile.TarError, KeyError) as exc:
        print(f"error: {argv[1]}: {exc}", file=sys.stderr)
        return 1
    tmp = Path(argv[2] + ".tmp")
    tmp.write_text(json.dumps(out, separators=(",", ":"), sort_keys=True))
    tmp.replace(argv[2])
    print(
        f"    {out['provider']} {out['version']}: {len(out['resources'])} resources, "
        f"{len(out['data_sources'])} data sources ({time.monotonic() - started:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
