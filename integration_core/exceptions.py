"""What a handler raises; the event engine turns each class into a state.

RetryableError   -> `retry` with backoff (the vendor or a lock is temporarily unavailable)
PermanentError   -> `failed`: a person must fix the data, then replay
  MappingError   -> `failed`: an Odoo record the payload refers to is missing or ambiguous
  PayloadError   -> `failed`: the payload does not have the expected shape
SignatureError   -> refused at the webhook (401), never stored as an event
  SourceNotAllowed -> refused at the webhook (403): the sender's address is not allowed
Any other exception is retried a few times, then `failed` with its traceback.
"""


class IntegrationError(Exception):
    """Base class. `message` is written for the finance/operations person reading Exceptions."""

    def __init__(self, message, *, record=None):
        super().__init__(message)
        self.message = message
        self.record = record  # the Odoo record the message is about, when there is one


class RetryableError(IntegrationError):
    def __init__(self, message, *, retry_after=None, record=None):
        super().__init__(message, record=record)
        self.retry_after = retry_after  # seconds; a vendor's Retry-After wins over backoff


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
