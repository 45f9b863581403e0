"""Shopify refunds: credit note (lines, shipping, taxes, discrepancy), refund payment, return
picking for returned goods, and the open delivery reduced by refunded items never shipped."""

from decimal import Decimal

from odoo import Command, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PayloadError,
    PermanentError,
    WaitingFor,
)

from ..lib.orders import RESTOCK_CANCEL, RESTOCK_LEGACY, RESTOCK_RETURN, parse_refund


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ refunds
    def _shopify_apply_refund(self, event, shopify_refund):
        """refunds/create (a schemas.Refund): a credit note equal to what Shopify refunded."""
        binder = self.env["integration.external.id"]
        existing = binder._record_for(self, "account.move", shopify_refund.id or "")
        if existing:
            event._note_result(self.env._("Refund %s was already credited.", shopify_refund.id))
            return existing
        sale = binder._record_for(self, "sale.order", shopify_refund.order_id or "")
        if not sale:
            # Shopify delivers out of order: the refund waits for its order (same entity key) and
            # runs as soon as the order's event is done.
            raise WaitingFor(
                self.env._(
                    "Refund %(refund)s is for Shopify order %(order)s, which is not in Odoo yet. It is "
                    "credited as soon as the order arrives; if it never does, import the order "
                    "(replay its event).",
                    refund=shopify_refund.id,
                    order=shopify_refund.order_id,
                ),
                entity_key=str(shopify_refund.order_id or ""),
            )
        if binder._record_for(self, "integration.event", f"refund:{shopify_refund.id}"):
            event._note_result(self.env._("Refund %s was already applied.", shopify_refund.id))
            return None
        currency = sale.currency_id
        refund = parse_refund(shopify_refund, currency.decimal_places)
        order_ref = sale.client_order_ref or sale.name
        other = refund.currencies - {currency.name}
        if other:
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s was paid back in %(paid)s but the order is "
                    "invoiced in %(cur)s: Odoo does not add amounts of two currencies. Check the "
                    "backend's invoice currency, then retry.",
                    refund=refund.id,
                    order=order_ref,
                    paid=", ".join(sorted(other)),
                    cur=currency.name,
                )
            )
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[
            :1
        ]
        kept, shipped = self._shopify_reduce_delivery(sale, refund)
        returned = self._shopify_return_goods(sale, refund, shipped)
        notes = []
        if kept:
            notes.append(self.env._("Delivery %s no longer ships the refunded items.", kept.name))
        if returned:
            notes.append(self.env._("Return %s created for the restocked items.", returned.name))
        credited = self._shopify_refund_credit(sale, invoice, refund)
        if credited is None:
            notes.append(self.env._("Refund %s moved no money: nothing to credit.", refund.id))
            # no credit note to find it by: the event is remembered, so that a re-delivery of
            # this refund does not move the stock again
            binder._bind(self, event, f"refund:{refund.id}", refund.created_at)
        else:
            if not refund.refunded:
                notes.append(
                    self.env._(
                        "Refund %(refund)s gave no money back (store credit): credit note %(move)s stays "
                        "open as the customer's credit.",
                        refund=refund.id,
                        move=credited.name,
                    )
                )
            binder._bind(self, credited, refund.id, refund.created_at)
        if notes:
            event._note_result(" ".join(notes))
        return credited

    def _shopify_refund_credit(self, sale, invoice, refund):
        """The posted credit note of `refund` (paid back when money was refunded), or None when
        the refund credits nothing (a restock only)."""
        currency = sale.currency_id
        order_ref = sale.client_order_ref or sale.name
        if not invoice:
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the order has no posted invoice to credit. "
                    "Invoice the order, then retry.",
                    refund=refund.id,
                    order=order_ref,
                )
            )
        credit_note = self._shopify_credit_note(sale, invoice, refund)
        if not refund.refunded and currency.is_zero(credit_note.amount_total):
            credit_note.unlink()
            return None
        # With money moved, the credit note is exactly that money; without (store credit),
        # it is what Shopify calculated for the refunded lines.
        if refund.refunded and currency.compare_amounts(credit_note.amount_total, float(refund.refunded)):
            raise PermanentError(
                self.env._(
                    "Refund %(refund)s of order %(order)s: the credit note totals %(odoo)s %(cur)s but "
                    "Shopify refunded %(shopify)s %(cur)s. Check the refunded lines and taxes, then retry.",
                    refund=refund.id,
                    order=order_ref,
                    odoo=f"{credit_note.amount_total:.{currency.decimal_places}f}",
                    shopify=refund.refunded,
                    cur=currency.name,
                )
            )
        credit_note.action_post()
        # one refund payment per refund transaction, on its gateway's journal (back onto a
        # gift card: against the gift-card liability)
        for payment in refund.payments:
            if payment.gift_card:
                self._shopify_gift_card_payment(credit_note, payment, order_ref)
            else:
                self._shopify_register_payment(credit_note, payment.gateway, float(payment.amount))
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
        if refund.discrepancy:
            # Shopify refunded less (or more) than the lines it calculated: the difference is
            # a line of its own, so that the credit note is what the customer got back
            product = self._shopify_service_product("shopify_discount_product_id", self.env._("discount"))
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "name": self.env._("Refund discrepancy (not refunded)"),
                        "quantity": 1,
                        "price_unit": float(-refund.discrepancy),
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

    def _shopify_refunded_products(self, sale, refund, restock_types):
        """{product: quantity} of the refund's lines restocked in one of `restock_types`."""
        lines_by_ref = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        quantities = {}
        for item in refund.lines:
            line = lines_by_ref.get(item.line_item_id)
            if line and item.restock_type in restock_types and item.quantity:
                quantities[line.product_id] = quantities.get(line.product_id, 0.0) + float(item.quantity)
        return quantities

    def _shopify_reduce_delivery(self, sale, refund):
        """Refunded items not shipped yet (restock `cancel`, and `legacy_restock`) leave the
        open delivery: Odoo must not ship what the customer got their money back for.
        (The delivery reduced or None, {product: legacy_restock quantity shipped already}.)"""
        wanted = self._shopify_refunded_products(sale, refund, (RESTOCK_CANCEL, RESTOCK_LEGACY))
        open_moves = sale.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state not in ("done", "cancel")
        ).move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        reduced = self.env["stock.picking"]
        for move in open_moves:
            quantity = min(wanted.get(move.product_id, 0.0), move.product_uom_qty)
            if quantity <= 0:
                continue
            wanted[move.product_id] -= quantity
            move._do_unreserve()
            if move.product_uom_qty - quantity <= 0:
                move._action_cancel()
            else:
                move.product_uom_qty -= quantity
                move._action_assign()
            reduced |= move.picking_id
        shipped = {
            product: quantity
            for product, quantity in wanted.items()
            if quantity > 0 and product in self._shopify_refunded_products(sale, refund, (RESTOCK_LEGACY,))
        }
        return reduced[:1] or None, shipped

    def _shopify_return_goods(self, sale, refund, shipped=None):
        """Returned goods (restock `return`, and the `shipped` ones of a `legacy_restock`)
        come back through a return picking."""
        restocked = self._shopify_refunded_products(sale, refund, (RESTOCK_RETURN,))
        for product, quantity in (shipped or {}).items():
            restocked[product] = restocked.get(product, 0.0) + quantity
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
