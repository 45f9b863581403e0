{
    "name": "Integration: Sales",
    "summary": "The order-confirmation gate every connector and every person goes through",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "sale"],
    "data": ["views/integration_document_views.xml", "views/sale_order_views.xml"],
}
