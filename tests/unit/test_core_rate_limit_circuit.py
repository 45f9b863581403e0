from integration_core.lib.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from integration_core.lib.rate_limit import TokenBucket


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_bucket_spends_burst_then_paces_at_rate():
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.wait_time() for _ in range(3)] == [0, 0, 0]
    assert bucket.wait_time() == 0.5
    clock.now += 0.5
    assert bucket.wait_time() == 0


def test_retry_after_pauses_the_bucket():
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=10, clock=clock)
    bucket.pause(30)
    assert bucket.wait_time() == 30
    clock.now += 30
    assert bucket.wait_time() == 0.1, "tokens start again from empty after a pause"


def test_vendor_cost_report_aligns_the_bucket():
    clock = Clock()
    bucket = TokenBucket(rate=100, burst=1000, clock=clock)
    bucket.observe_cost(available=50, maximum=1000, restore_rate=50)  # Shopify throttleStatus
    assert bucket.wait_time(cost=100) == 1.0


def test_circuit_opens_after_threshold_probes_after_cooldown_and_closes():
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=60, clock=clock)
    assert [breaker.record_failure() for _ in range(3)] == [False, False, True]
    assert breaker.state == OPEN and not breaker.allow_call()
    clock.now += 60
    assert breaker.allow_call() and breaker.state == HALF_OPEN
    assert breaker.record_failure() is True and breaker.state == OPEN, "a failed probe opens it again"
    clock.now += 60
    assert breaker.allow_call()
    breaker.record_success()
    assert (breaker.state, breaker.failures) == (CLOSED, 0)


def test_success_resets_the_failure_count():
    breaker = CircuitBreaker(threshold=3, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    assert breaker.record_failure() is False and breaker.state == CLOSED


def test_a_probe_that_never_reports_back_does_not_wedge_the_circuit():
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_failure()
    clock.now += 30
    assert breaker.allow_call() and breaker.state == HALF_OPEN  # the probe leaves...
    assert not breaker.allow_call(), "one probe at a time"
    clock.now += 29
    assert not breaker.allow_call()
    clock.now += 1  # ...and never reports (its worker died, or it raised something else)
    assert breaker.allow_call(), "another probe goes out after the cool-down"
    breaker.record_success()
    assert breaker.state == CLOSED
