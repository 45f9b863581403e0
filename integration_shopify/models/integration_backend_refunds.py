"""Shopify refunds: credit note, refund payment and return picking."""

from decimal import Decimal

from odoo import Command, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PayloadError,
    PermanentError,
)

from ..lib.orders import (
    parse_refund,
    unwrap,
)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ refunds
    def _shopify_apply_refund(self, event):
        binder = self.env["integration.external.id"]
        raw = unwrap(event._payload_json(), "refund")
        existing = binder._record_for(self, "account.move", str(raw["id"]))
        if existing:
            event._note_result(self.env._("Refund %s was already credited.", raw["id"]))
            return existing
        sale = binder._record_for(self, "sale.order", str(raw.get("order_id") or ""))
        if not sale:
            raise MappingError(
                self.env._(
                    "Refund %(refund)s is for Shopify order %(order)s, which is not in Odoo. Import the "
                    "order (replay its event), then replay this one.",
                    refund=raw["id"],
                    order=raw.get("order_id"),
                )
            )
        currency = sale.currency_id
        refund = parse_refund(raw, currency.decimal_places)
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[
            :1
        ]
        if not invoice:
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the order has no posted invoice to credit. "
                    "Invoice the order, then replay.",
                    refund=refund.id,
                    order=sale.client_order_ref or sale.name,
                )
            )
        credit_note = self._shopify_credit_note(sale, invoice, refund)
        if currency.compare_amounts(credit_note.amount_total, float(refund.refunded)):
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the credit note totals %(odoo)s %(cur)s but "
                    "Shopify refunded %(shopify)s %(cur)s. Check the refunded lines and taxes, then replay.",
                    refund=refund.id,
                    order=sale.client_order_ref or sale.name,
                    odoo=f"{credit_note.amount_total:.{currency.decimal_places}f}",
                    shopify=refund.refunded,
                    cur=currency.name,
                )
            )
        credit_note.action_post()
        if refund.refunded:
            self._shopify_register_payment(credit_note, refund.gateway)
        returned = self._shopify_return_goods(sale, refund)
        binder._bind(self, credit_note, refund.id, refund.created_at)
        if returned:
            event._note_result(self.env._("Return %s created for the restocked items.", returned.name))
        return credit_note

    def _shopify_credit_note(self, sale, invoice, refund):
        lines_by_ref = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        map_taxes = self.shopify_tax_policy == "map"
        invoice_lines = []
        tax_total = Decimal(0)
        for item in refund.lines:
            sale_line = lines_by_ref.get(item.line_item_id)
            if not sale_line:
                raise MappingError(
                    self.env._(
                        "Refund %(refund)s refunds line %(line)s, which order %(order)s does not have.",
                        refund=refund.id,
                        line=item.line_item_id,
                        order=sale.name,
                    )
                )
            quantity, price = item.quantity, item.amount / item.quantity if item.quantity else item.amount
            if price * quantity != item.amount:
                quantity, price = Decimal(1), item.amount
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": sale_line.product_id.id,
                        "name": sale_line.name,
                        "quantity": float(quantity),
                        "price_unit": float(price),
                        "tax_ids": [Command.set(sale_line.tax_ids.ids if map_taxes else [])],
                        "sale_line_ids": [Command.link(sale_line.id)],
                    }
                )
            )
            tax_total += item.tax
        if refund.shipping:
            product = self._shopify_service_product("shopify_shipping_product_id", self.env._("shipping"))
            ship_line = sale.order_line.filtered(
                lambda line: (line.shopify_line_ref or "").startswith("shipping:")
            )[:1]
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": self.env._("Shipping refund"),
                        "quantity": 1,
                        "price_unit": float(refund.shipping),
                        "tax_ids": [Command.set(ship_line.tax_ids.ids if map_taxes else [])],
                    }
                )
            )
            tax_total += refund.shipping_tax
        taxes_on_lines = any((line.shopify_line_ref or "").startswith("tax:") for line in sale.order_line)
        if not map_taxes and tax_total and taxes_on_lines:
            product = self._shopify_service_product("shopify_tax_product_id", self.env._("tax"))
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": self.env._("Taxes refunded"),
                        "quantity": 1,
                        "price_unit": float(tax_total),
                        "tax_ids": [Command.set([])],
                    }
                )
            )
        if not invoice_lines:
            raise PayloadError(self.env._("Refund %s refunds no line and no shipping.", refund.id))
        return self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": invoice.partner_id.id,
                "currency_id": invoice.currency_id.id,
                "journal_id": invoice.journal_id.id,
                "reversed_entry_id": invoice.id,
                "invoice_origin": sale.name,
                "ref": self.env._("Shopify refund %(refund)s: %(note)s", refund=refund.id, note=refund.note),
                "invoice_line_ids": invoice_lines,
            }
        )

    def _shopify_return_goods(self, sale, refund):
        """Restocked lines that were delivered come back through a return picking."""
        restocked = {}
        lines_by_ref = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        for item in refund.lines:
            if item.restock and item.line_item_id in lines_by_ref:
                line = lines_by_ref[item.line_item_id]
                restocked[line.product_id] = restocked.get(line.product_id, 0.0) + float(item.quantity)
        delivery = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        if not restocked or not delivery:
            return None
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_ids=delivery.ids, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        for return_line in wizard.product_return_moves:
            wanted = restocked.get(return_line.product_id, 0.0)
            quantity = min(wanted, return_line.move_id.quantity)
            return_line.quantity = quantity
            restocked[return_line.product_id] = wanted - quantity
        return wizard._create_return()
