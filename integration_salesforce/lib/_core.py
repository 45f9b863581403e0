"""Core's pure-Python HTTP client, found beside this addon both under Odoo
(`odoo.addons.integration_core`) and in the unit tier (`integration_core`, loaded by path)."""

from importlib import import_module

_ADDONS = __package__.rpartition(".integration_salesforce")[0]  # "odoo.addons" under Odoo, else ""
http_client = import_module(".".join(filter(None, (_ADDONS, "integration_core.lib.http_client"))))

ApiClient = http_client.ApiClient
TransientHttpError = http_client.TransientHttpError
VendorHttpError = http_client.VendorHttpError
