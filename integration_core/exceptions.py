"""What a handler raises; the event engine turns each class into a state.

RetryableError   -> `retry` with backoff (the vendor or a lock is temporarily unavailable)
  VendorUnavailable -> `retry` until the backend's retry horizon (the vendor is down: an
                     outage is waited out for as long as the vendor itself would retry)
  WaitingFor     -> `retry`: the record this event needs is not here yet (a refund before its
                     order); it runs as soon as an event of that entity is done, without
                     spending attempts, and goes dead only after the retry horizon
PermanentError   -> `failed`: a person must fix the data, then retry
  MappingError   -> `failed`: an Odoo record the payload refers to is missing or ambiguous
  PayloadError   -> `failed`: the payload does not have the expected shape
SignatureError   -> refused at the webhook (401), never stored as an event
  SourceNotAllowed -> refused at the webhook (403): the sender's address is not allowed
Any other exception is retried a few times, then `failed` with its traceback.
"""


class IntegrationError(Exception):
    """Base class. `message` is written for the finance/operations person reading Exceptions."""

    def __init__(self, message, *, record=None, fix=None, facts=None):
        super().__init__(message)
        self.message = message
        self.record = record  # the Odoo record the message is about, when there is one
        # The business action that fixes a failed event (a code the connector's buttons and
        # pickers know, e.g. "stripe_payment_without_invoice") and the facts they need
        # (amount, currency, customer, SKU…): stored on the event, read by its pickers.
        self.fix = fix
        self.facts = facts or {}


class RetryableError(IntegrationError):
    def __init__(self, message, *, retry_after=None, record=None):
        super().__init__(message, record=record)
        self.retry_after = retry_after  # seconds; a vendor's Retry-After wins over backoff


class VendorUnavailable(RetryableError):
    """The connected system does not answer (timeouts, 5xx): wait it out up to the horizon."""


class WaitingFor(RetryableError):
    """What this event needs has not arrived yet: `entity_key` is the entity (of the same
    backend) whose event brings it, e.g. the order id a refund belongs to."""

    def __init__(self, message, *, entity_key, record=None):
        super().__init__(message, record=record)
        self.entity_key = str(entity_key)


class PermanentError(IntegrationError):
    pass


class MappingError(PermanentError):
    pass


class PayloadError(PermanentError):
    pass


class SignatureError(IntegrationError):
    pass


class SourceNotAllowed(SignatureError):
    """The delivery comes from an address the backend does not accept (403)."""


class BackendChanged(Exception):
    """Not an event failure: the backend a delivery was checked against (as this process
    remembered it) has changed since; the webhook reads it again and checks once more."""
