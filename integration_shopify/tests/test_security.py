"""Multi-company: Shopify mappings of another company stay out of sight."""

from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestShopifySecurity(TransactionCase):
    def test_company_a_never_sees_company_b_mappings(self):
        company_b = self.env["res.company"].create({"name": "Shopify Company B"})
        backends = self.env["integration.backend"]
        mine = backends.create({"name": "Shop A", "kind": "shopify"})
        theirs = backends.create({"name": "Shop B", "kind": "shopify", "company_id": company_b.id})
        warehouses = self.env["stock.warehouse"]
        warehouse_a = warehouses.search([("company_id", "=", self.env.company.id)], limit=1)
        warehouse_b = warehouses.search([("company_id", "=", company_b.id)], limit=1)
        locations = self.env["integration.shopify.location"]
        location_a = locations.create(
            {"backend_id": mine.id, "location_ref": "1", "warehouse_id": warehouse_a.id}
        )
        locations.create({"backend_id": theirs.id, "location_ref": "2", "warehouse_id": warehouse_b.id})
        journals = self.env["account.journal"]
        journal_a = journals.create({"name": "Shopify A", "type": "general", "code": "SHPA"})
        journal_b = journals.create(
            {"name": "Shopify B", "type": "general", "code": "SHPB", "company_id": company_b.id}
        )
        gateways = self.env["integration.shopify.gateway"]
        gateway_a = gateways.create(
            {"backend_id": mine.id, "gateway": "shopify_payments", "journal_id": journal_a.id}
        )
        gateways.create({"backend_id": theirs.id, "gateway": "manual", "journal_id": journal_b.id})
        user = new_test_user(self.env, "shopify_user_a", groups="integration_core.group_integration_user")
        mappings = [("backend_id", "in", (mine | theirs).ids)]
        self.assertEqual(locations.with_user(user).search(mappings), location_a)
        self.assertEqual(gateways.with_user(user).search(mappings), gateway_a)
