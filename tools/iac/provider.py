"""Stand-in Terraform provider: serves a real provider's argument schema, accepts every config.

Terraform starts it from the offline plugin mirror that tools/setup builds, as
`provider.py SCHEMA.json RESPONSE_CACHE_DIR`. It answers GetProviderSchema with the schema
extracted from the provider's cdktn wheel, so `terraform validate` checks argument names, types,
required arguments and blocks, and `terraform test` with `mock_provider` runs plans. It never
plans or applies anything itself.

Speed matters: Terraform starts a provider several times per command. The serialised schema
response is cached on disk, and when CHAT_IAC_TYPES_FILE names a file of type names, only those
types (plus near misses, so Terraform's "Did you mean" still works) are served.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import tf.provider
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc
from tf.runner import run_provider

WAF_DEPTH = 3
DIGIT_UNDERSCORE = re.compile(r"(?<=\d)_")


def cty(t: str):
    t = {"boolean": "bool", "any": "dynamic", "json": "string", "date": "string"}.get(t, t)
    m = re.fullmatch(r"(list|map|set)\((.+)\)", t)
    if m:
        return [m.group(1), cty(m.group(2))]
    if t in ("string", "number", "bool", "dynamic"):
        return t
    return "dynamic"


class SchemaBuilder:
    def __init__(self, schema: dict):
        self.schema = schema
        rule = schema.get("resources", {}).get("aws_wafv2_web_acl_rule", {})
        self.waf_statement = rule.get("statement", {}).get("block")

    def block(self, spec: dict, level: int = 0, name: str = "") -> pb.Schema.Block:
        if ("$any" in spec or "$recursive" in spec) and self.waf_statement and level < WAF_DEPTH:
            if name in ("statement", "scope_down_statement"):
                # The generator cut WAFv2 rule statements short; graft the full statement.
                spec, level = self.waf_statement, level + 1
        if "$any" in spec or "$recursive" in spec:
            return pb.Schema.Block(attributes=[], block_types=[])
        attrs, blocks, seen = [], [], set()
        for key, a in sorted(spec.items()):
            if "block" in a:
                blocks.append(
                    pb.Schema.NestedBlock(
                        type_name=key,
                        block=self.block(a["block"], level, key),
                        nesting=pb.Schema.NestedBlock.LIST,
                        min_items=1 if a.get("r") else 0,
                        max_items=0 if a.get("list") else 1,
                    )
                )
                continue
            names = [key]
            alt = DIGIT_UNDERSCORE.sub("", key)
            if alt != key and alt not in spec:
                # jsii's camelCase loses whether "_" followed a digit; serve both spellings.
                names.append(alt)
            for n in names:
                if n in seen:
                    continue
                seen.add(n)
                req = bool(a.get("r")) and n == key and len(names) == 1
                comp = bool(a.get("c"))
                attrs.append(
                    pb.Schema.Attribute(
                        name=n,
                        type=json.dumps(cty(a["t"])).encode(),
                        required=req,
                        optional=not req and not comp,
                        computed=comp or not req,
                    )
                )
        return pb.Schema.Block(attributes=attrs, block_types=blocks)

    def response(self, wanted: set[str] | None) -> pb.GetProviderSchema.Response:
        res, ds = self.schema["resources"], self.schema["data_sources"]
        if wanted is not None:
            known = set(res) | set(ds)
            keep = wanted & known
            for miss in wanted - known:
                keep.update(difflib.get_close_matches(miss, known, n=3, cutoff=0.75))
            res = {k: v for k, v in res.items() if k in keep}
            ds = {k: v for k, v in ds.items() if k in keep}
        return pb.GetProviderSchema.Response(
            provider=pb.Schema(block=self.block(self.schema["provider_config"])),
            resource_schemas={k: pb.Schema(block=self.block(v)) for k, v in res.items()},
            data_source_schemas={k: pb.Schema(block=self.block(v)) for k, v in ds.items()},
        )


def wanted_types(prefix: str) -> set[str] | None:
    path = os.environ.get("CHAT_IAC_TYPES_FILE")
    if not path or not os.path.exists(path):
        return None
    names = Path(path).read_text().split()
    return {n for n in names if n == prefix or n.startswith(prefix + "_")}


def load_response(schema_path: Path, cache_dir: Path) -> bytes:
    prefix = schema_path.stem
    wanted = wanted_types(prefix)
    key = "full" if wanted is None else hashlib.sha256(" ".join(sorted(wanted)).encode())
    key = key if isinstance(key, str) else key.hexdigest()[:16]
    cached = cache_dir / f"{prefix}-{key}.bin"
    if cached.exists():
        return cached.read_bytes()
    data = SchemaBuilder(json.loads(schema_path.read_text())).response(wanted).SerializeToString()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(cached)
    return data


class SchemaOnlyServicer(rpc.ProviderServicer):
    schema_path: Path
    cache_dir: Path

    def __init__(self, *_):
        self._resp = None

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(server_capabilities=pb.ServerCapabilities(plan_destroy=True))

    def GetProviderSchema(self, request, context):
        if self._resp is None:
            self._resp = pb.GetProviderSchema.Response.FromString(
                load_response(self.schema_path, self.cache_dir)
            )
        return self._resp

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def StopProvider(self, request, context):
        return pb.StopProvider.Response()


class _Identity:
    def __init__(self, name: str):
        self.name = name

    def full_name(self) -> str:
        return f"registry.terraform.io/hashicorp/{self.name}"


def main() -> None:
    schema_path, cache_dir = Path(sys.argv[1]), Path(sys.argv[2])
    SchemaOnlyServicer.schema_path = schema_path
    SchemaOnlyServicer.cache_dir = cache_dir
    # tf's runner builds its servicer from this name at start-up.
    tf.provider.ProviderServicer = SchemaOnlyServicer
    run_provider(_Identity(schema_path.stem), sys.argv[2:])


if __name__ == "__main__":
    main()
