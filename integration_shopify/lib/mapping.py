"""Keys of the mappings people make from Shopify's words to Odoo records."""


def tax_mapping_key(title, rate, included):
    """The external id a *Map the tax* choice is bound to: one Shopify tax (its title and
    percentage, price included or not), e.g. ``tax:CA State Tax:7.25:excluded``."""
    percent = f"{float(rate):.4f}".rstrip("0").rstrip(".")
    return f"tax:{(title or '').strip()}:{percent}:{'included' if included else 'excluded'}"


def summary_of(resource, data):
    """What a Shopify delivery is about in business words, with Shopify's reference (the
    order name #1001 finance knows): the title of the event in every list and in chatter."""
    if resource == "order":
        who = data.email or data.contact_email or (data.customer and data.customer.email) or ""
        total = f" {data.total_price} {data.currency}" if data.total_price is not None else ""
        return f"Order {data.name or data.id}{total}" + (f" from {who}" if who else "")
    if resource == "refund":
        return f"Refund {data.id or ''} of order {data.order_id or '?'}".replace("  ", " ")
    if resource == "fulfillment":
        return f"Fulfilment {data.id} of order {data.order_id} ({data.status or 'open'})"
    if resource == "transaction":
        amount = f" {data.amount} {data.currency or ''}".rstrip() if data.amount is not None else ""
        return f"Transaction {data.kind or ''}{amount} of order {data.order_id or '?'}".replace("  ", " ")
    if resource == "customer":
        name = " ".join(part for part in (data.first_name, data.last_name) if part)
        return f"Customer {name or data.email or data.id}"
    if resource == "product":
        return f"Product {data.title or data.id}"
    return ""
