"""Stripe REST API calls the connector makes, on core's ApiClient (timeouts, idempotency
keys, audit callback). Pure Python: the Odoo layer passes a configured ApiClient."""

API_BASE = "https://api.stripe.com"
API_VERSION = "2024-06-20"
PAGE_SIZE = 100


def auth_headers(secret_key: str) -> dict:
    return {"Authorization": f"Bearer {secret_key}", "Stripe-Version": API_VERSION}


class StripeClient:
    def __init__(self, api_client, correlation_id=None):
        self.api = api_client
        self.correlation_id = correlation_id

    def _get(self, path, params=None):
        return self.api.request("GET", path, params=params, correlation_id=self.correlation_id).json()

    def _post(self, path, data, idempotency_key):
        """The `requests.Response` (the outbound queue records its status)."""
        return self.api.request(
            "POST", path, data=data, idempotency_key=idempotency_key, correlation_id=self.correlation_id
        )

    def account(self):
        return self._get("/v1/account")

    def balance_transaction(self, txn_id):
        return self._get(f"/v1/balance_transactions/{txn_id}")

    def list_balance_transactions(self, **filters):
        """Every balance transaction matching `filters` (payout=..., created[gte]=...),
        page after page (`starting_after` the last id while `has_more`)."""
        params = {"limit": PAGE_SIZE, "expand[]": "data.source", **filters}
        while True:
            page = self._get("/v1/balance_transactions", params)
            data = page.get("data") or []
            yield from data
            if not page.get("has_more") or not data:
                return
            params = {**params, "starting_after": data[-1]["id"]}

    def create_price(self, fields, idempotency_key):
        return self._post("/v1/prices", fields, f"{idempotency_key}-price")

    def create_payment_link(self, fields, idempotency_key):
        return self._post("/v1/payment_links", fields, f"{idempotency_key}-link")

    def create_refund(self, fields, idempotency_key):
        return self._post("/v1/refunds", fields, idempotency_key)
