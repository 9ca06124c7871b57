"""The normalized alarm: one shape for SNS notifications and EventBridge state-change events."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class Alarm:
    name: str
    arn: str
    account: str
    region: str
    state: str
    previous_state: str
    reason: str
    timestamp: str  # ISO-8601 UTC with a Z suffix: the state-change time, part of the dedup key
    alarm_type: str  # metric | composite | anomaly
    description: str = ""
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    statistic: str | None = None
    period: int | None = None
    threshold: float | None = None
    comparison: str | None = None
    alarm_rule: str | None = None
    source: str = "sns"  # sns | eventbridge
    env: str = ""
    severity: str = "warning"
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def console_url(self) -> str:
        return (
            f"https://{self.region}.console.aws.amazon.com/cloudwatch/home"
            f"?region={self.region}#alarmsV2:alarm/{quote(self.name, safe='')}"
        )

    @property
    def graph_url(self) -> str | None:
        """The metric's graph in the console; composite alarms have no single metric."""
        if not (self.namespace and self.metric_name):
            return None
        parts = [_tilde(self.namespace), _tilde(self.metric_name)]
        for key, value in sorted(self.dimensions.items()):
            parts += [_tilde(key), _tilde(value)]
        metric = "~(" + "~".join(parts) + ")"
        graph = f"~(metrics~({metric})~view~'timeSeries~region~'{self.region}"
        if self.statistic:
            graph += f"~stat~{_tilde(self.statistic)}"
        if self.period:
            graph += f"~period~{int(self.period)}"
        graph += ")"
        return (
            f"https://{self.region}.console.aws.amazon.com/cloudwatch/home"
            f"?region={self.region}#metricsV2:graph={graph}"
        )

    def with_context(self, *, env: str, severity: str, tags: dict[str, str]) -> Alarm:
        return dataclasses.replace(self, env=env, severity=severity, tags=dict(tags))

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["console_url"] = self.console_url
        data["graph_url"] = self.graph_url
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alarm:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def _tilde(value: str) -> str:
    """The CloudWatch console's URL encoding: a quoted string with `*XX` escapes."""
    out = []
    for char in value:
        if char.isascii() and (char.isalnum() or char in "_.-"):
            out.append(char)
        else:
            out.append("".join(f"*{b:02x}" for b in char.encode()))
    return "'" + "".join(out)
