"""Salesforce vendor logic in pure Python (no Odoo import): SOAP Outbound Messages, typed
facts of the sObjects the connector reads, OAuth, the REST client and the CPQ mapping;
Change Data Capture through the Pub/Sub API (gRPC client, Avro and bitmap decoding, and a
local stand-in server for the tests and the bench)."""
