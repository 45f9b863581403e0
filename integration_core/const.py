"""Constants of the integration core."""

EVENT_STATES = [
    ("pending", "Pending"),
    ("processing", "Processing"),
    ("retry", "To Retry"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("dead", "Gave up"),
    ("ignored", "Ignored"),
]
# States an event can be claimed from; `processing` too once its lease has expired.
CLAIMABLE_STATES = ("pending", "retry")
# States that no longer hold back a younger event of the same entity.
SETTLED_STATES = ("done", "ignored")
EXCEPTION_STATES = ("failed", "dead")

BACKEND_STATES = [
    ("draft", "Draft"),
    ("active", "Active"),
    ("degraded", "Degraded"),
    ("paused", "Paused"),
]
# Deliveries to a backend in these states are refused with 503 + Retry-After.
REFUSING_STATES = ("draft", "paused")

EVENT_SOURCES = [
    ("webhook", "Webhook"),
    ("pull", "Pull"),
    ("replay", "Replay"),
    ("reconciliation", "Reconciliation"),
]

ERROR_CLASSES = [
    ("retryable", "Temporary"),
    ("waiting", "Waiting for a record"),
    ("permanent", "Business rule"),
    ("mapping", "Missing mapping"),
    ("payload", "Bad payload"),
    ("unexpected", "Unexpected error"),
]

DEFAULTS = {
    "max_attempts": 5,
    "backoff_base": 30,  # seconds
    "backoff_cap": 3600,
    "batch_size": 50,
    "lease_seconds": 300,
    "retention_days": 30,
    "unexpected_retries": 3,  # unknown exceptions are retried this many times, then failed
    "retry_horizon_hours": 72,  # a vendor outage is waited out this long (Stripe retries 3 days)
    "health_stall_minutes": 10,  # /integration/health: due rows and nothing done this long
    "max_body_bytes": 1024 * 1024,
    "parallel_workers": 1,
    "commit_group": 20,  # rows processed per transaction (see _process_group)
}
SETTINGS_PREFIX = "integration_core."

RETRY_AFTER_SECONDS = 60  # what a paused backend asks the vendor to wait
HEADERS_KEPT = 40  # at most this many request headers are stored with an event
