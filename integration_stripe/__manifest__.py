{
    "name": "Integration: Stripe",
    "summary": "Not built yet: no vendor features; installs the Odoo apps it will feed",
    "version": "19.0.0.1.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "account"],
}
