import random

from integration_core.lib.backoff import retry_delay
from integration_core.lib.masking import mask_headers, mask_text


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (10, 3600)]:
        delay = retry_delay(attempt, base=30, cap=3600, rng=rng)
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_wins():
    assert retry_delay(5, base=30, cap=3600, retry_after=7) == 7


def test_cards_emails_tokens_are_masked():
    text = "card 4242 4242 4242 4242 for jane.doe@example.com with sk_live_abcdefghijkl"
    masked = mask_text(text)
    assert "4242 4242" not in masked and "**** 4242" in masked
    assert "jane.doe" not in masked and "j***@example.com" in masked
    assert "abcdefghijkl" not in masked


def test_secret_headers_are_hidden():
    headers = mask_headers(
        {"Stripe-Signature": "t=1,v1=abc", "Authorization": "Bearer x", "Content-Type": "json"}
    )
    assert headers == {"Stripe-Signature": "***", "Authorization": "***", "Content-Type": "json"}
