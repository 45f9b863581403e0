"""Pure-Python vendor logic of the contract connectors (no Odoo import)."""
