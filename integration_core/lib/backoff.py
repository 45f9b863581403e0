"""When to try an event again after a temporary failure (pure Python)."""

import random


def retry_delay(
    attempt: int,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt `attempt + 1`.

    Exponential (base * 2**(attempt-1)), capped, with "equal jitter" so that a burst of
    failures does not come back all at once. A vendor's Retry-After wins when given."""
    if retry_after is not None and retry_after >= 0:
        return float(retry_after)
    exp = min(cap, base * (2 ** max(attempt - 1, 0)))
    half = exp / 2
    return half + (rng or random).uniform(0, half)
