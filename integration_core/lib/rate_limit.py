"""Per-backend send rate: a token bucket, slowed down by what the vendor says (pure Python).

Outbound senders ask `wait_time()` before each call and sleep or reschedule by that much;
a 429 with Retry-After, or a cost report such as Shopify GraphQL's `throttleStatus`,
slows the bucket down instead of failing the rows."""

import time


class TokenBucket:
    def __init__(self, rate, burst, clock=time.monotonic):
        """`rate` tokens per second, at most `burst` saved up."""
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self.tokens = float(burst)
        self.updated = clock()
        self.paused_until = 0.0

    def _refill(self):
        now = self.clock()
        start = max(self.updated, self.paused_until)  # nothing saves up during a pause
        if now > start:
            self.tokens = min(self.burst, self.tokens + (now - start) * self.rate)
        self.updated = now
        return now

    def wait_time(self, cost=1.0):
        """Seconds to wait before a call of `cost` tokens may go (0: go now, token taken)."""
        now = self._refill()
        if now < self.paused_until:
            return self.paused_until - now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate

    def pause(self, seconds):
        """The vendor asked us to wait (429 + Retry-After): no call before then."""
        self.paused_until = max(self.paused_until, self.clock() + max(0.0, seconds))
        self.tokens = 0.0

    def observe_cost(self, available, maximum, restore_rate):
        """Align with the vendor's own bucket (e.g. Shopify `throttleStatus`: currentlyAvailable,
        maximumAvailable, restoreRate) so that we never spend what it no longer has."""
        self._refill()
        self.burst = float(maximum)
        self.rate = float(restore_rate)
        self.tokens = min(self.tokens, float(available))
