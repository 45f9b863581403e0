{
    "name": "Integration: Salesforce",
    "summary": "Placeholder: no Salesforce features yet; installs the Odoo apps it will feed",
    "description": """
This connector has no Salesforce features yet. It depends on Integration Core and on the Odoo
apps it will connect (accounts, opportunities and CPQ quotes into Odoo CRM and Sales), so that the suite installs as one piece. It adds no
backend kind, no webhook and no scheduled action.
""",
    "version": "19.0.0.1.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core", "sale_crm"],
    "installable": True,
}
