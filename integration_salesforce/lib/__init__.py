"""Salesforce vendor logic in pure Python (no Odoo import): SOAP Outbound Messages, typed
facts of the sObjects the connector reads, OAuth, the REST client and the CPQ mapping."""
