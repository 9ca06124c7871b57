"""Running the toolchain's programs: Terraform (one command per process), checkov, cfn-lint."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Result:
    rc: int
    out: str
    err: str


class Toolchain:
    def __init__(self, home: Path):
        self.home = home
        self.tf_python = home / "tfenv" / "bin" / "python"
        self.checkov = home / "scanenv" / "bin" / "checkov"
        self.cfn_lint = home / "scanenv" / "bin" / "cfn-lint"

    def base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            CHECKPOINT_DISABLE="1",
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            TF_CLI_CONFIG_FILE=str(self.home / "terraformrc"),
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("TF_DATA_DIR", None)
        return env

    def terraform(
        self,
        args: list[str],
        cwd: Path,
        data_dir: Path | None = None,
        types_file: Path | None = None,
        timeout: float = 600,
    ) -> Result:
        env = self.base_env()
        if data_dir is not None:
            env["TF_DATA_DIR"] = str(data_dir)
        if types_file is not None:
            env["CHAT_IAC_TYPES_FILE"] = str(types_file)
        proc = subprocess.run(
            [str(self.tf_python), str(HERE / "tfcli.py"), "--raw", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, ANSI.sub("", proc.stdout), ANSI.sub("", proc.stderr))

    def run(self, argv: list[str], cwd: Path, timeout: float = 900) -> Result:
        env = self.base_env()
        # checkov: never reach the Prisma Cloud platform or download anything.
        env.update(BC_SKIP_MAPPING="TRUE", CKV_NO_SUPPORT="TRUE", LOG_LEVEL="ERROR")
        proc = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


def json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return out


def home_from_env() -> Path:
    home = os.environ.get("CHAT_IAC_HOME")
    if not home:
        print("error: CHAT_IAC_HOME is not set; run this through tools/iaccheck", file=sys.stderr)
        raise SystemExit(3)
    return Path(home)
