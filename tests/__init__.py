# Odoo tests of the suite as a whole (flows across addons that never import each other).
# Odoo's runner imports this package as odoo.addons.integration_suite.tests; pytest (the
# unit/, e2e/ and faults/ tiers) imports it as `tests`, and must not load Odoo.
if __name__.startswith("odoo.addons."):
    from . import test_entitlements
