"""Shopify orders: one sale order per Shopify order (lines, discounts, shipping, taxes,
currency), its total checked to the cent, stock reserved, invoiced and paid, cancelled."""

from decimal import Decimal

from odoo import Command, models
from odoo.addons.integration_core.exceptions import (
    MappingError,
    PermanentError,
    RetryableError,
)
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..const import (
    PAID_STATUSES,
)
from ..lib.mapping import tax_mapping_key
from ..lib.orders import (
    address_values,
    customer_values,
    invoicing_currency,
    parse_order,
    parse_time,
    payment_of,
)


class IntegrationBackend(models.Model):
    _inherit = "integration.backend"

    # ------------------------------------------------------------------ orders
    def _shopify_pricelist(self, currency, order_name):
        pricelist = self.shopify_pricelist_ids.filtered(lambda p: p.currency_id == currency)[:1]
        if pricelist or currency == self.company_id.currency_id:
            return pricelist
        raise MappingError(
            self.env._(
                "Shopify order %(order)s is in %(currency)s and backend %(backend)s has no pricelist "
                "in %(currency)s. Add one under Shopify > Pricelists per Currency, then replay.",
                order=order_name,
                currency=currency.name,
                backend=self.name,
            )
        )

    def _shopify_products_for(self, order):
        """{line ref: product} for the order's product lines: the variant bound to the
        Shopify variant, else the product with the SKU as internal reference, else as
        barcode (three searches for the whole order, whatever its size)."""
        lines = order.products
        variant_ids = [line.variant_id for line in lines if line.variant_id]
        bound = {}
        if variant_ids:
            bindings = (
                self.env["integration.external.id"]
                .sudo()
                .search(
                    [
                        ("backend_id", "=", self.id),
                        ("model", "=", "product.product"),
                        ("external_id", "in", variant_ids),
                    ]
                )
            )
            bound = {b.external_id: b.res_id for b in bindings}
        products = self.env["product.product"]
        company = [("company_id", "in", (False, self.company_id.id))]
        skus = {line.sku for line in lines if line.sku and line.variant_id not in bound}
        by_code, by_barcode = {}, {}
        if skus:
            for product in products.search([("default_code", "in", list(skus)), *company]):
                by_code.setdefault(product.default_code, products)
                by_code[product.default_code] |= product
            missing = [sku for sku in skus if sku not in by_code]
            if missing:
                for product in products.search([("barcode", "in", missing), *company]):
                    by_barcode.setdefault(product.barcode, products)
                    by_barcode[product.barcode] |= product
        result = {}
        for line in lines:
            if line.variant_id in bound:
                product = products.browse(bound[line.variant_id]).exists()
                if product:
                    result[line.ref] = product
                    continue
            found = by_code.get(line.sku) or by_barcode.get(line.sku) or products
            if len(found) > 1:
                raise MappingError(
                    self.env._(
                        "Several products have SKU %(sku)s (Shopify order %(order)s): keep one, then replay.",
                        sku=line.sku,
                        order=order.name,
                    )
                )
            if not found:
                raise MappingError(
                    self.env._(
                        "Product SKU %(sku)s not found (line '%(title)s' of Shopify order %(order)s). Click "
                        "'Create or map the product' (or import the products from Shopify, then retry).",
                        sku=line.sku or self.env._("(none)"),
                        title=line.title,
                        order=order.name,
                    ),
                    fix="shopify_unknown_product",
                    facts={
                        "sku": line.sku,
                        "variant_id": line.variant_id,
                        "title": line.title,
                        "price": str(line.unit_price),
                        "order": order.name,
                    },
                )
            result[line.ref] = found
        return result

    def _shopify_service_product(self, field_name, label):
        product = self[field_name]
        if not product:
            raise MappingError(
                self.env._(
                    "Set the %(label)s product on backend %(backend)s (Shopify tab), then replay.",
                    label=label,
                    backend=self.name,
                )
            )
        return product

    def _shopify_odoo_taxes(self, tax_lines, included, order_name):
        """Odoo sales taxes for Shopify tax lines (policy 'map'): same rate, same
        included/excluded setting; the title decides between several."""
        taxes = self.env["account.tax"]
        for tax_line in tax_lines:
            rate = float(tax_line.rate * 100)
            candidates = taxes.search(
                [
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("company_id", "=", self.company_id.id),
                ]
            ).filtered(
                lambda t, rate=rate: float_compare(t.amount, rate, 4) == 0 and t.price_include == included
            )
            named = candidates.filtered(lambda t, title=tax_line.title: t.name == title)
            tax = (named or candidates)[:1]
            if not tax:
                # a tax a person mapped to this Shopify tax (Map the tax), looked up only here
                key = tax_mapping_key(tax_line.title, rate, included)
                tax = self.env["integration.external.id"]._record_for(self, "account.tax", key)
            if not tax:
                raise MappingError(
                    self.env._(
                        "No Odoo sales tax of %(rate)s%% (%(included)s) matches Shopify tax '%(title)s' "
                        "of order %(order)s. Click 'Map the tax' (or set the tax policy to Shopify's tax "
                        "lines), then retry.",
                        rate=rate,
                        included=self.env._("included in price") if included else self.env._("excluded"),
                        title=tax_line.title,
                        order=order_name,
                    ),
                    fix="shopify_unknown_tax",
                    facts={"title": tax_line.title, "rate": rate, "included": included, "order": order_name},
                )
            taxes |= tax
        return taxes

    def _shopify_line_values(self, order, currency):
        """{ref: sale.order.line values} for every line the Odoo order must have."""
        places = currency.decimal_places
        map_taxes = self.shopify_tax_policy == "map"
        values = {}
        default_taxes = (
            self._shopify_odoo_taxes(order.order_taxes, order.taxes_included, order.name)
            if map_taxes and order.order_taxes
            else self.env["account.tax"]
        )

        def taxes_of(line):
            if not map_taxes:
                return self.env["account.tax"]
            if line.taxes:
                return self._shopify_odoo_taxes(line.taxes, order.taxes_included, order.name)
            return default_taxes if line.kind == "product" and line.taxable else self.env["account.tax"]

        def line(ref, product, name, quantity, price, taxes):
            values[ref] = {
                "product_id": product.id,
                "name": name,
                "product_uom_qty": float(quantity),
                "price_unit": float(price),
                "discount": 0.0,
                "tax_ids": [Command.set(taxes.ids)],
                "shopify_line_ref": ref,
            }

        products = self._shopify_products_for(order)
        for item in order.products:
            product = products[item.ref]
            taxes = taxes_of(item)
            line(item.ref, product, item.title or product.display_name, item.quantity, item.unit_price, taxes)
            if item.discount:
                discount = self._shopify_service_product(
                    "shopify_discount_product_id", self.env._("discount")
                )
                name = self.env._("Discount on %s", item.title)
                line(f"discount:{item.ref}", discount, name, 1, -item.discount, taxes)
        for ship in order.shipping:
            product = self._shopify_service_product("shopify_shipping_product_id", self.env._("shipping"))
            line(ship.ref, product, ship.title, 1, ship.unit_price - ship.discount, taxes_of(ship))
        extra_products = {
            "duty": ("shopify_duty_product_id", self.env._("duties")),
            "tip": ("shopify_tip_product_id", self.env._("tip")),
        }
        for extra in order.extras:
            product = self._shopify_service_product(*extra_products[extra.kind])
            line(extra.ref, product, extra.title, 1, extra.unit_price, taxes_of(extra))
        if order.order_discount:
            discount = self._shopify_service_product("shopify_discount_product_id", self.env._("discount"))
            line(
                "discount:order",
                discount,
                self.env._("Order discount"),
                1,
                -order.order_discount,
                default_taxes,
            )
        if not map_taxes and not order.taxes_included:
            # prices that include their taxes already carry them: no tax line on top
            tax_totals = {}
            for item in order.lines:
                for tax in item.taxes:
                    tax_totals[(tax.title, tax.rate)] = (
                        tax_totals.get((tax.title, tax.rate), Decimal(0)) + tax.amount
                    )
            for tax in order.order_taxes:
                tax_totals[(tax.title, tax.rate)] = (
                    tax_totals.get((tax.title, tax.rate), Decimal(0)) + tax.amount
                )
            for (title, rate), amount in tax_totals.items():
                if amount:
                    product = self._shopify_service_product("shopify_tax_product_id", self.env._("tax"))
                    name = f"{title} {(rate * 100).normalize():f}%"
                    line(
                        f"tax:{title}:{rate}",
                        product,
                        name,
                        1,
                        amount.quantize(Decimal(1).scaleb(-places)),
                        self.env["account.tax"],
                    )
        return values

    def _shopify_partner(self, order):
        if self.shopify_customer_policy == "guest":
            if not self.shopify_guest_partner_id:
                raise MappingError(
                    self.env._("Set the contact for all orders on backend %s, then replay.", self.name)
                )
            return self.shopify_guest_partner_id
        binder = self.env["integration.external.id"]
        customer = order.customer
        customer_id = customer.id if customer else ""
        email = (customer and customer.email) or order.email
        partner, bound = self._shopify_match_customer(customer_id, email)
        if partner:
            if customer_id and not bound:
                binder._bind(self, partner, customer_id, parse_time(customer.updated_at))
            return partner
        values = customer_values(customer) if customer else {}
        if order.billing_address:
            billing = address_values(order.billing_address)
            values = {**billing, **{k: v for k, v in values.items() if v}}
        values["email"] = values.get("email") or order.email or False
        if not values.get("name"):
            values["name"] = values.get("email") or self.env._(
                "Shopify customer %s", customer_id or order.name
            )
        partner = (
            self.env["res.partner"]
            .with_context(integration_inbound=True)
            .create(self._shopify_partner_create_values(values))
        )
        if customer_id:
            binder._bind(self, partner, customer_id, parse_time(customer.updated_at))
        return partner

    def _shopify_customer_partner(self, customer_id, email):
        """The contact of a Shopify customer: bound to it, else the one with its email unless
        that contact stands for another Shopify customer (an empty recordset when none)."""
        return self._shopify_match_customer(customer_id, email)[0]

    def _shopify_match_customer(self, customer_id, email):
        """(contact, whether it is bound to the customer already): see _shopify_customer_partner."""
        binder = self.env["integration.external.id"]
        bound = binder._record_for(self, "res.partner", customer_id) if customer_id else None
        if bound:
            return bound, True  # a record has one binding per backend: no other customer's
        partner = self._match_partner(email=email)
        if partner and customer_id:
            bound_to = binder._external_for(self, partner)
            if bound_to and bound_to != customer_id:
                return self.env["res.partner"], False
        return partner, False

    def _shopify_delivery_contact(self, partner, order):
        """A delivery contact under the customer when the order ships elsewhere than the
        customer's address (found again for the next order to the same address)."""
        if not order.shipping_address or self.shopify_customer_policy == "guest":
            return None
        if order.shipping_address == order.billing_address:
            return None  # the usual case, decided without reading the database
        values = self._shopify_partner_create_values(address_values(order.shipping_address))
        current = {
            "street": partner.street or False,
            "zip": partner.zip or False,
            "city": partner.city or False,
            "country_id": partner.country_id.id or False,
        }
        same = all(value == (values.get(field) or False) for field, value in current.items())
        if same:
            return None
        key = [("street", "=", values["street"]), ("zip", "=", values["zip"]), ("name", "=", values["name"])]
        existing = self.env["res.partner"].search(
            [("parent_id", "=", partner.id), ("type", "=", "delivery"), *key], limit=1
        )
        if existing:
            return existing
        return (
            self.env["res.partner"]
            .with_context(integration_inbound=True)
            .create({**values, "parent_id": partner.id, "type": "delivery"})
        )

    def _shopify_partner_create_values(self, values):
        values = dict(values)
        country_code, state_code = values.pop("country_code", False), values.pop("state_code", False)
        company_name = values.pop("company_name", False)
        if company_name:
            values["company_name"] = company_name
        country = country_code and self.env["res.country"].search(
            [("code", "=", country_code.upper())], limit=1
        )
        values["country_id"] = country.id if country else False
        state = (
            country
            and state_code
            and self.env["res.country.state"].search(
                [("country_id", "=", country.id), ("code", "=", state_code)], limit=1
            )
        )
        values["state_id"] = state.id if state else False
        return values

    def _shopify_apply_order(self, event, shopify_order):
        """orders/* (a schemas.Order): one sale order, its total checked, invoiced and paid."""
        binder = self.env["integration.external.id"]
        presentment = self.shopify_invoice_currency != "shop"
        currency = self._currency_for(invoicing_currency(shopify_order, presentment))
        order = parse_order(shopify_order, currency.decimal_places, presentment)
        binding = binder._line(self, "sale.order", order.id)  # one read for the record and its version
        sale = self.env["sale.order"].browse(binding.res_id).exists()
        version = event.order_at or order.updated_at
        if binding.remote_updated_at and version and version < binding.remote_updated_at:
            event._note_result(
                self.env._("Skipped: a newer version of order %s was already applied.", order.name)
            )
            return sale
        if not self._check_inbound_policy(event, "order", self.env._("Order %s", order.name)):
            return sale
        if not sale:
            if order.cancelled:
                event._note_result(self.env._("Order %s was cancelled before it reached Odoo.", order.name))
                return None
            if self.shopify_order_trigger == "paid" and order.financial_status not in PAID_STATUSES:
                event._note_result(
                    self.env._(
                        "Waiting: order %(order)s is %(status)s; this backend creates paid orders only.",
                        order=order.name,
                        status=order.financial_status or "unpaid",
                    )
                )
                return None
        if sale and sale.state == "cancel":
            event._note_result(self.env._("Order %s is cancelled in Odoo: nothing to update.", order.name))
            return sale
        if sale and order.cancelled:
            self._shopify_cancel(sale, order)
            binder._bind(self, sale, order.id, order.updated_at)
            return sale
        self._shopify_check_shop_money(shopify_order, order)
        wanted = self._shopify_line_values(order, currency)
        if sale:
            self._lock_for_update(sale)
            self._shopify_update_lines(sale, wanted)
        else:
            sale = self._shopify_create_sale(order, currency, wanted)
        self._shopify_check_total(sale, order, currency)
        if sale.state in ("draft", "sent"):
            sale.with_context(integration_inbound=True).action_confirm()
        if sale.shopify_financial_status != order.financial_status:
            sale.shopify_financial_status = order.financial_status
        if order.financial_status in PAID_STATUSES:
            self._shopify_invoice_and_pay(sale, event, order)
        binder._bind(self, sale, order.id, order.updated_at)
        return sale

    def _shopify_create_sale(self, order, currency, wanted):
        partner = self._shopify_partner(order)
        values = {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "client_order_ref": order.name,
            "origin": f"Shopify {order.name}",
            "shopify_financial_status": order.financial_status,
            "order_line": [Command.create(line) for line in wanted.values()],
        }
        shipping = self._shopify_delivery_contact(partner, order)
        if shipping:
            values["partner_shipping_id"] = shipping.id
        pricelist = self._shopify_pricelist(currency, order.name)
        if pricelist:
            values["pricelist_id"] = pricelist.id
        warehouse = self._shopify_warehouse(order.location_id)
        if warehouse:
            values["warehouse_id"] = warehouse.id
        if self.shopify_team_id:
            values["team_id"] = self.shopify_team_id.id
        if order.note:
            values["note"] = order.note
        return self.env["sale.order"].with_context(integration_inbound=True).create(values)

    def _shopify_update_lines(self, sale, wanted):
        """Make the order's lines what Shopify says: same line, new quantity or price; new
        lines added; lines gone from Shopify set to zero (confirmed lines are never deleted)."""
        commands = []
        existing = {line.shopify_line_ref: line for line in sale.order_line if line.shopify_line_ref}
        for ref, values in wanted.items():
            line = existing.pop(ref, None)
            if not line:
                commands.append(Command.create(values))
                continue
            changes = {}
            if float_compare(line.product_uom_qty, values["product_uom_qty"], precision_digits=4):
                changes["product_uom_qty"] = values["product_uom_qty"]
            if sale.currency_id.compare_amounts(line.price_unit, values["price_unit"]):
                changes["price_unit"] = values["price_unit"]
            if line.product_id.id != values["product_id"] and not line.qty_delivered:
                changes["product_id"] = values["product_id"]
            if set(line.tax_ids.ids) != set(values["tax_ids"][0][2]):
                changes["tax_ids"] = values["tax_ids"]
            if changes:
                # price_unit is written with any change so that Odoo does not reprice the line
                changes.setdefault("price_unit", values["price_unit"])
                commands.append(Command.update(line.id, changes))
        for line in existing.values():
            if sale.state == "sale":
                if line.product_uom_qty:
                    commands.append(
                        Command.update(line.id, {"product_uom_qty": 0.0, "price_unit": line.price_unit})
                    )
            else:
                commands.append(Command.delete(line.id))
        if commands:
            sale.with_context(integration_inbound=True).write({"order_line": commands})

    def _shopify_check_total(self, sale, order, currency):
        if not currency.compare_amounts(sale.amount_total, float(order.total_price)):
            return
        places = currency.decimal_places
        policy = dict(self._fields["shopify_tax_policy"].selection)[self.shopify_tax_policy]
        if self.shopify_tax_policy == "map":
            odoo_tax = sale.amount_tax
            counted = self.env._("Odoo taxes computed by the mapped Odoo taxes")
        else:
            odoo_tax = sum(
                sale.order_line.filtered(
                    lambda line: (line.shopify_line_ref or "").startswith("tax:")
                ).mapped("price_subtotal")
            )
            counted = self.env._("Shopify's tax lines copied as lines of the tax product")
        raise PermanentError(
            self.env._(
                "Shopify order %(order)s: the Odoo total %(odoo)s %(cur)s differs from Shopify's total "
                "%(shopify)s %(cur)s. Tax policy '%(policy)s' (%(counted)s): Odoo counted %(odoo_tax)s "
                "of taxes and %(odoo_net)s before taxes; Shopify counted %(shopify_tax)s of taxes and "
                "%(shopify_net)s before taxes. Check the tax policy and taxes, the products' prices and "
                "the discount and shipping products of backend %(backend)s, then replay.",
                order=order.name,
                odoo=f"{sale.amount_total:.{places}f}",
                shopify=order.total_price,
                policy=policy,
                counted=counted,
                odoo_tax=f"{odoo_tax:.{places}f}",
                odoo_net=f"{sale.amount_total - odoo_tax:.{places}f}",
                shopify_tax=order.total_tax,
                shopify_net=order.total_price - order.total_tax,
                cur=currency.name,
                backend=self.name,
            )
        )

    def _shopify_check_shop_money(self, shopify_order, order):
        """An order invoiced in the presentment currency: its lines in Shopify's shop_money
        must add up to Shopify's shop_money total, to the cent, before Odoo books it."""
        if order.shop_total is None:
            return
        shop = parse_order(shopify_order, self.company_id.currency_id.decimal_places, presentment=False)
        if shop.lines_total != shop.total_price:
            raise PermanentError(
                self.env._(
                    "Shopify order %(order)s: its lines add up to %(lines)s %(shop)s in the shop currency "
                    "(shop_money), but Shopify's shop_money total is %(total)s %(shop)s. Check the "
                    "order's amounts in Shopify, then replay.",
                    order=order.name,
                    lines=shop.lines_total,
                    total=shop.total_price,
                    shop=shop.currency,
                )
            )

    def _shopify_warehouse(self, location_ref):
        if not location_ref:
            return self.shopify_warehouse_id
        mapped = self.shopify_location_ids.filtered(lambda line: line.location_ref == location_ref)[:1]
        return mapped.warehouse_id if mapped else self.shopify_warehouse_id

    def _shopify_stock_locations(self):
        """[(Shopify location id, warehouse)] whose stock levels are pushed."""
        pairs = [(self.shopify_location_id, self.shopify_warehouse_id)] if self.shopify_location_id else []
        pairs += [(line.location_ref, line.warehouse_id) for line in self.shopify_location_ids]
        return [(ref, warehouse) for ref, warehouse in pairs if ref and warehouse]

    def _shopify_payment_journal(self, gateway=""):
        mapped = self.shopify_gateway_ids.filtered(lambda line: line.gateway == gateway)[:1]
        if gateway and mapped:
            return mapped.journal_id
        journal = self.shopify_payment_journal_id or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.company_id.id)], limit=1
        )
        if not journal:
            raise MappingError(self.env._("Set the payment journal on backend %s, then replay.", self.name))
        return journal

    def _shopify_register_payment(self, moves, gateway="", amount=None):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"journal_id": self._shopify_payment_journal(gateway).id})
        )
        if amount is not None:
            wizard.amount = amount
        return wizard._create_payments()

    def _shopify_invoice_and_pay(self, sale, event, order):
        """Paid in Shopify: post the customer invoice (in the invoicing currency, its
        shop-currency value Shopify's) and book its payments (each once)."""
        invoices = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state != "cancel")
        if not invoices:
            try:
                invoices = sale._create_invoices(final=True)
            except UserError as exc:
                event._note_result(self.env._("Invoice not created yet: %s", exc.args[0]))
                return
        drafts = invoices.filtered(lambda m: m.state == "draft")
        if drafts:
            self._shopify_shop_value(drafts, order)
            drafts.action_post()
        unpaid = invoices.filtered(
            lambda m: m.state == "posted" and m.payment_state in ("not_paid", "partial")
        )
        if order.transactions_known:
            self._shopify_book_transactions(invoices.filtered(lambda m: m.state == "posted")[:1], order)
        elif unpaid and not self.shopify_pay_by_transaction:
            # the payload lists no transactions: the invoice is paid through the order's gateway
            self._shopify_register_payment(unpaid, order.gateway)

    def _shopify_shop_value(self, invoices, order):
        """An invoice in the presentment currency is worth Shopify's `shop_money` total in the
        shop's (the company's) currency: the invoice takes Shopify's rate, and the result is
        checked to the cent."""
        company_currency = self.company_id.currency_id
        if order.shop_total is None or order.shop_currency != company_currency.name:
            return
        for invoice in invoices:
            if not invoice.amount_total:
                continue
            invoice.invoice_currency_rate = invoice.amount_total / float(order.shop_total)
            if company_currency.compare_amounts(abs(invoice.amount_total_signed), float(order.shop_total)):
                raise PermanentError(
                    self.env._(
                        "Shopify order %(order)s: the invoice of %(amount)s %(cur)s is worth %(odoo)s "
                        "%(shop)s in Odoo at Shopify's rate, but Shopify's shop_money total is %(shopify)s "
                        "%(shop)s. "
                        "Check the order's amounts in both currencies in Shopify, then replay.",
                        order=order.name,
                        amount=f"{invoice.amount_total:.{invoice.currency_id.decimal_places}f}",
                        cur=invoice.currency_id.name,
                        odoo=f"{abs(invoice.amount_total_signed):.{company_currency.decimal_places}f}",
                        shop=company_currency.name,
                        shopify=order.shop_total,
                    )
                )

    def _shopify_book_transactions(self, invoice, order):
        """One payment per successful sale/capture transaction of the order."""
        for payment in order.payments:
            self._shopify_book_payment(invoice, payment, order.name, order.updated_at)

    def _shopify_book_payment(self, invoice, payment, order_name, version=None):
        """A transaction's payment on its gateway's journal (a gift card against the gift-card
        liability account), booked once; the payment, or None when it was booked already."""
        binder = self.env["integration.external.id"]
        if binder._record_for(self, "account.payment", payment.ref):
            return None
        if payment.currency and payment.currency != invoice.currency_id.name:
            raise PermanentError(
                self.env._(
                    "Shopify order %(order)s: transaction %(ref)s is in %(paid)s but the invoice is in "
                    "%(invoiced)s. Set the backend's invoice currency to the one the customer paid "
                    "in, then replay.",
                    order=order_name,
                    ref=payment.ref,
                    paid=payment.currency,
                    invoiced=invoice.currency_id.name,
                )
            )
        if payment.gift_card:
            booked = self._shopify_gift_card_payment(invoice, payment, order_name)
        else:
            booked = self._shopify_register_payment(invoice, payment.gateway, float(payment.amount))
        binder._bind(self, booked, payment.ref, version)
        return booked

    def _shopify_apply_transaction(self, event, transaction):
        """order_transactions/create (a schemas.Transaction): its payment on the order's posted
        invoice; it waits (retry) while the order or its invoice is not in Odoo yet."""
        binder = self.env["integration.external.id"]
        sale = binder._record_for(self, "sale.order", transaction.order_id or "")
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice" and m.state == "posted")[
            :1
        ]
        payment = payment_of(transaction, invoice.currency_id.decimal_places or 2)
        if payment is None:
            event._note_result(
                self.env._(
                    "Transaction %(ref)s (%(kind)s, %(status)s) books no payment.",
                    ref=transaction.id,
                    kind=transaction.kind or "-",
                    status=transaction.status or "-",
                )
            )
            return None
        if not invoice:
            raise RetryableError(
                self.env._(
                    "Transaction %(ref)s of Shopify order %(order)s waits for the order's invoice (its "
                    "orders/paid event).",
                    ref=transaction.id,
                    order=transaction.order_id,
                )
            )
        booked = self._shopify_book_payment(
            invoice, payment, sale.client_order_ref or sale.name, parse_time(transaction.processed_at)
        )
        if booked is None:
            event._note_result(self.env._("Transaction %s was already booked.", transaction.id))
        return booked

    def _shopify_gift_card_payment(self, invoice, payment, order_name):
        """A gift card settles the receivable against the gift-card liability (no bank money);
        on a credit note, the refund goes back onto a gift card (the liability grows again)."""
        account = self.shopify_gift_card_account_id
        if not account:
            raise MappingError(
                self.env._(
                    "Shopify order %(order)s was paid %(amount)s %(cur)s by gift card: set the gift card "
                    "liability account on backend %(backend)s (Shopify tab), then replay.",
                    order=order_name,
                    amount=payment.amount,
                    cur=payment.currency or invoice.currency_id.name,
                    backend=self.name,
                )
            )
        booked = self.env["account.payment"].create(
            {
                "payment_type": "outbound" if invoice.move_type == "out_refund" else "inbound",
                "partner_type": "customer",
                "partner_id": invoice.commercial_partner_id.id,
                "amount": float(payment.amount),
                "currency_id": invoice.currency_id.id,
                "journal_id": self._shopify_payment_journal(payment.gateway).id,
                "memo": invoice.name,
            }
        )
        # written after the create, whose computes choose the journal's outstanding account
        booked.outstanding_account_id = account
        booked.action_post()
        receivable = (booked.move_id.line_ids | invoice.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        receivable.reconcile()
        return booked

    def _shopify_cancel(self, sale, order):
        delivered = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        if delivered:
            raise PermanentError(
                self.env._(
                    "Shopify order %(order)s was cancelled, but Odoo already delivered it (%(pickings)s). "
                    "Return the goods in Odoo (or refund them in Shopify), then ignore this event.",
                    order=order.name,
                    pickings=", ".join(delivered.mapped("name")),
                )
            )
        sale.with_context(integration_inbound=True, disable_cancel_warning=True)._action_cancel()
