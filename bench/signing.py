import json
import time

from toolkit import hmac_sha256


def signed_delivery(secret, event_id):
    """Body and headers of one contact delivery for the generic signed-webhook kind."""
    body = json.dumps(
        {"id": event_id, "type": "contact.updated", "created": int(time.time()),
         "data": {"id": f"C-{event_id}", "name": "Bench contact", "email": "bench@example.com"}}
    ).encode()  # fmt: skip
    signature = hmac_sha256(secret, body)
    return body, {"Content-Type": "application/json", "X-Signature": signature}
