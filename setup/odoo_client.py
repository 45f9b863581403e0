"""A small JSON-RPC client: talks to Odoo over HTTP the way the web client does."""

import json
import time

import requests


class OdooClient:
    """JSON-RPC over HTTP, logged in as a user, the way the web client talks to Odoo."""

    def __init__(self, base_url, db):
        self.base_url, self.db = base_url, db
        self.session = requests.Session()

    def login(self, login, password):
        result = self._rpc("/web/session/authenticate", {"db": self.db, "login": login, "password": password})
        assert result.get("uid"), result
        return self

    def call(self, model, method, *args, **kwargs):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _rpc(self, path, params):
        response = self.session.post(
            self.base_url + path, json={"jsonrpc": "2.0", "params": params}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise AssertionError(body["error"]["data"]["message"])
        return body.get("result")  # Odoo leaves `result` out when a method returns None

    def wait_for(self, model, domain, count=1, timeout=60):
        """Poll until `count` records match: processing happens in Odoo's own cron thread."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.call(model, "search_count", domain) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {count} {model} matching {domain}")

    def resubmit_event(self, event_id, payload):
        """What a manager does in Exceptions: "Edit payload and resubmit" with a corrected payload."""
        context = {"active_model": "integration.event", "active_ids": [event_id]}
        values = {"event_id": event_id, "payload": json.dumps(payload)}
        wizard = self.call("integration.event.edit.wizard", "create", values, context=context)
        self.call("integration.event.edit.wizard", "action_resubmit", [wizard], context=context)
