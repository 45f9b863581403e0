"""Salesforce API usage (`Sforce-Limit-Info: api-usage=used/max`)."""

import re
from dataclasses import dataclass
from decimal import Decimal

_USAGE = re.compile(r"(?<![\w-])api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    used: int
    max: int

    @property
    def percent(self) -> Decimal:
        if not self.max:
            return Decimal(0)
        return (Decimal(self.used) * 100 / Decimal(self.max)).quantize(Decimal("0.1"))

    def over_share(self, share_percent) -> bool:
        """True when the connector has used its share of the org's daily requests."""
        return bool(self.max) and Decimal(self.used) * 100 >= Decimal(self.max) * Decimal(share_percent)


def parse_limit_info(header: str | None) -> ApiUsage | None:
    match = _USAGE.search(header or "")
    return ApiUsage(int(match[1]), int(match[2])) if match else None


def usage_from_limits(body: dict) -> ApiUsage | None:
    """The daily API requests of a `/limits` answer."""
    daily = body.get("DailyApiRequests") or {}
    if "Max" not in daily:
        return None
    return ApiUsage(int(daily["Max"]) - int(daily.get("Remaining", 0)), int(daily["Max"]))
