{
    "name": "Integration: Signed Webhook",
    "summary": "Contacts from any SaaS that signs its webhooks with HMAC-SHA256, and back",
    "version": "19.0.1.0.0",
    "category": "Integrations",
    "author": "Integration Suite",
    "website": "https://github.com/integration-suite/integration-suite",
    "license": "LGPL-3",
    "depends": ["integration_core"],
    "data": ["views/integration_backend_views.xml"],
    "demo": ["demo/integration_backend_demo.xml"],
    "assets": {
        "web.assets_tests": ["integration_webhook/static/tests/tours/*.js"],
    },
}
