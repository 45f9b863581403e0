{
    "name": "Integration: Stripe",
    "summary": "Stripe payments, refunds, disputes, fees and payouts booked and reconciled in Odoo "
    "accounting; Pay with Stripe payment links on invoices",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "account"],
    "external_dependencies": {"python": ["pydantic", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "views/integration_backend_views.xml",
        "views/integration_event_views.xml",
        "views/integration_stripe_wizard_views.xml",
        "views/integration_stripe_payout_views.xml",
        "views/res_partner_views.xml",
        "views/account_move_views.xml",
        "views/account_move_templates.xml",
    ],
    "demo": ["demo/integration_backend_demo.xml"],
}
