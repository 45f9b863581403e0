"""Keys of the mappings people make from Shopify's words to Odoo records."""


def tax_mapping_key(title, rate, included):
    """The external id a *Map the tax* choice is bound to: one Shopify tax (its title and
    percentage, price included or not), e.g. ``tax:CA State Tax:7.25:excluded``."""
    percent = f"{float(rate):.4f}".rstrip("0").rstrip(".")
    return f"tax:{(title or '').strip()}:{percent}:{'included' if included else 'excluded'}"
