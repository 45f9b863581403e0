# The engine's Odoo tests drive it through a real kind, so they live with the generic
# signed-webhook connector (integration_webhook/tests); common.py here is shared by all.
