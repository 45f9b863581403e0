{
    "name": "Integration: Salesforce",
    "summary": "Salesforce CRM and CPQ: accounts and contacts, won opportunities and approved quotes "
    "as sale orders, amendments and renewals; order, invoice and payment status back to Salesforce",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "integration_sale", "sale_crm"],
    "external_dependencies": {"python": ["PyJWT", "lxml", "pydantic", "requests", "grpcio", "fastavro"]},
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "data/ir_cron_data.xml",
        "views/integration_backend_views.xml",
        "views/integration_salesforce_order_change_views.xml",
        "views/sale_order_views.xml",
        "views/integration_salesforce_channel_views.xml",
    ],
    "demo": ["demo/integration_backend_demo.xml", "demo/integration_salesforce_channel_demo.xml"],
}
