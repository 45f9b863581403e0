"""Odoo talking to a real HTTP server: pushes through an outage and back, and a
reconciliation run whose drift is replayed."""

import time

from demo_crm import DemoCrm


def _odoo_owned_backend(admin, make_backend, crm, name):
    backend = make_backend(name, "e2e-outbound-secret")
    urls = {"outbound_url": crm.url, "reconcile_url": crm.url}
    admin.call(
        "integration.backend",
        "write",
        [backend["id"]],
        {**urls, "circuit_threshold": 2, "circuit_cooldown": 2},
    )
    owned = admin.call(
        "integration.ownership", "search", [("backend_id", "=", backend["id"]), ("domain", "=", "customer")]
    )
    admin.call("integration.ownership", "write", owned, {"system_of_record": "odoo"})
    return backend["id"]


def _bound_partner(admin, backend_id, ref, name):
    partner = admin.call("res.partner", "create", {"name": name, "email": f"{ref.lower()}@example.com"})
    binding = {"backend_id": backend_id, "model": "res.partner", "res_id": partner, "external_id": ref}
    admin.call("integration.external.id", "create", binding)
    return partner


def test_an_outage_pauses_sending_and_nothing_is_lost_or_sent_twice(admin, make_backend):
    crm = DemoCrm()
    try:
        backend_id = _odoo_owned_backend(admin, make_backend, crm, "E2E outage")
        partners = [_bound_partner(admin, backend_id, f"OUT-{i}", f"Outage {i}") for i in range(3)]
        crm.down = True
        for partner in partners:
            admin.call("res.partner", "write", [partner], {"phone": "+1 555 0199"})
        admin.wait_for(
            "integration.backend", [("id", "=", backend_id), ("state", "=", "degraded")], timeout=60
        )
        assert crm.refused == 2, "the circuit opened after the second failure"
        crm.down = False
        time.sleep(2.5)  # the pause passes
        waiting = admin.call(
            "integration.outbound", "search", [("backend_id", "=", backend_id), ("state", "!=", "done")]
        )
        admin.call("integration.outbound", "action_retry", waiting)
        admin.wait_for(
            "integration.outbound", [("backend_id", "=", backend_id), ("state", "=", "done")], count=3
        )
        [backend] = admin.call("integration.backend", "read", [backend_id], ["state", "circuit_state"])
        assert (backend["state"], backend["circuit_state"]) == ("active", "closed")
        assert len(crm.accepted_keys) == 3
        assert len(set(crm.accepted_keys)) == 3, "each message was taken once"
    finally:
        crm.stop()


def test_reconciliation_finds_a_missed_contact_and_replay_creates_it(admin, make_backend):
    crm = DemoCrm()
    try:
        backend_id = _odoo_owned_backend(admin, make_backend, crm, "E2E reconciliation")
        _bound_partner(admin, backend_id, "REC-1", "Known Ltd")
        crm.contacts = [
            {"id": "REC-1", "name": "Known Ltd", "email": "rec-1@example.com"},
            {"id": "REC-2", "name": "Missed Ltd", "email": "missed@example.com"},
        ]
        action = admin.call("integration.backend", "action_reconcile_now", [backend_id])
        [run] = admin.call(
            "integration.reconciliation.run", "read", [action["res_id"]], ["state", "line_ids"]
        )
        assert run["state"] == "done"
        lines = admin.call(
            "integration.reconciliation.line", "read", run["line_ids"], ["issue", "external_id"]
        )
        assert [(line["issue"], line["external_id"]) for line in lines] == [("missing_odoo", "REC-2")]
        admin.call("integration.reconciliation.line", "action_replay", [lines[0]["id"]])
        admin.wait_for(
            "integration.external.id", [("backend_id", "=", backend_id), ("external_id", "=", "REC-2")]
        )
        [line] = admin.call("integration.reconciliation.line", "read", [lines[0]["id"]], ["state"])
        assert line["state"] == "fixed"
    finally:
        crm.stop()
