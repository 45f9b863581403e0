{
    "name": "Integration Suite",
    "summary": "Installs the whole integration suite: core engine and every connector",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": [
        "integration_core",
        "integration_sale",
        "integration_webhook",
        "integration_stripe",
        "integration_shopify",
        "integration_salesforce",
        "integration_clm",
    ],
    "application": True,
}
