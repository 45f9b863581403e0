{
    "name": "Integration: Shopify",
    "summary": "Shopify orders, refunds, customers and products through Odoo Sales, Inventory and "
    "Invoicing; fulfilments back to Shopify",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "sale_stock"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "views/integration_backend_views.xml",
        "views/stock_picking_views.xml",
        "views/integration_event_views.xml",
        "views/integration_shopify_wizard_views.xml",
    ],
    "demo": ["demo/integration_backend_demo.xml"],
    "assets": {"web.assets_tests": ["integration_shopify/static/tests/tours/*.js"]},
}
