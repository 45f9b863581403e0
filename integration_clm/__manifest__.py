{
    "name": "Integration: Contracts and e-signature",
    "summary": "DocuSign, Dropbox Sign and PandaDoc: quotations wait for a signed contract; "
    "amendments, renewals, milestone and schedule billing",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "integration_sale", "sale_management", "sale_project"],
    "external_dependencies": {"python": ["pydantic", "lxml", "cryptography", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "data/ir_cron.xml",
        "views/integration_contract_views.xml",
        "views/integration_backend_views.xml",
        "views/sale_order_views.xml",
        "views/integration_deal_views.xml",
        "views/clm_gate_override_views.xml",
        "views/menus.xml",
    ],
    "demo": ["demo/clm_demo.xml"],
}
