"""Circuit breaker per backend (pure Python): stop calling a vendor that keeps failing,
probe it after a cool-down, resume when it answers.

closed    -> calls go out; `threshold` consecutive transport/5xx failures open it
open      -> no call goes out (rows wait, none lost) until `cooldown` seconds have passed
half_open -> one probe call goes out: an answer closes the circuit, failure opens it again;
             a probe that never reports back (its worker died, or it ended in an error
             that is not the vendor's) lets another probe go after the cool-down"""

import time

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, threshold=5, cooldown=60.0, clock=time.monotonic, state=CLOSED, failures=0,
                 opened_at=None):  # fmt: skip
        self.threshold, self.cooldown, self.clock = threshold, cooldown, clock
        self.state, self.failures, self.opened_at = state, failures, opened_at

    def allow_call(self):
        """May a call go out now? In `open`, the first call after the cool-down is the probe;
        in `half_open`, another probe once the last one is a cool-down old."""
        if self.state in (OPEN, HALF_OPEN) and self.clock() - (self.opened_at or 0) >= self.cooldown:
            self.state, self.opened_at = HALF_OPEN, self.clock()  # opened_at: when the probe left
            return True
        return self.state == CLOSED

    def record_success(self):
        self.state, self.failures, self.opened_at = CLOSED, 0, None

    def record_failure(self):
        """A transport error or 5xx. Returns True when this failure opened the circuit."""
        self.failures += 1
        if self.state == HALF_OPEN or (self.state == CLOSED and self.failures >= self.threshold):
            self.state, self.opened_at = OPEN, self.clock()
            return True
        return False
