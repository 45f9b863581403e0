"""GET /integration/metrics with Odoo API keys (the /json/2 bearer scheme), over HTTP."""

import uuid

import pytest
import requests

from odoo_client import OdooClient


def api_key(client, password):
    """Make an API key the way a user does in their preferences (identity check included)."""
    description = client.call("res.users.apikeys.description", "create", {"name": "monitoring"})
    wizard = client.call("res.users.apikeys.description", "make_key", [description])
    result = client.call(
        "res.users.identitycheck", "run_check", [wizard["res_id"]], context={"password": password}
    )
    return result["context"]["default_key"]


@pytest.fixture(scope="module")
def outsider(odoo_server, admin):
    """A plain internal user, outside the Integration groups."""
    login = f"outsider-{uuid.uuid4().hex[:6]}"
    admin.call("res.users", "create", {"name": "Outsider", "login": login, "password": "outsider-pass-123"})
    base_url, db = odoo_server
    return OdooClient(base_url, db).login(login, "outsider-pass-123")


def test_metrics_need_an_integration_users_api_key(base_url, admin, outsider, make_backend):
    make_backend("E2E metrics", "metrics-secret")
    url = f"{base_url}/integration/metrics"
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer not-a-key"}, timeout=30).status_code == 401

    outsider_key = api_key(outsider, "outsider-pass-123")
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {outsider_key}"}, timeout=30).status_code == 403
    )

    response = requests.get(url, headers={"Authorization": f"Bearer {api_key(admin, 'admin')}"}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE integration_outbound_backlog gauge" in response.text
    assert 'integration_circuit_open{backend="E2E metrics",kind="generic_hmac"} 0' in response.text
