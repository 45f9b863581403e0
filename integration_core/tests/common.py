"""Test helpers every connector's tests share: backends, ingest without HTTP, running the crons."""

import json
from contextlib import nullcontext
from urllib.parse import urlsplit

from odoo import api
from odoo.tests import HttpCase
from odoo.tests.common import _super_send

from ..lib.delivery import Delivery


class VendorHostsMixin:
    """Odoo's test runner blocks outside HTTP before it reaches `responses`, which mocks the
    transport below: let the test vendor's hosts through to the mock."""

    VENDOR_HOSTS = ()

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        if urlsplit(request.url).hostname in cls.VENDOR_HOSTS:
            return _super_send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)


class IntegrationCaseMixin:
    @classmethod
    def _make_backend(cls, **values):
        return cls.env["integration.backend"].create(
            {
                "name": "Test backend",
                "state": "active",
                **values,
            }
        )

    def _ingest(self, backend, payload, source="webhook"):
        """Store an event as the webhook would, without HTTP (for processing tests)."""
        delivery = Delivery(headers={}, body=json.dumps(payload).encode(), content_type="application/json")
        [envelope] = backend._webhook_parse(delivery)
        event_id, _new = self.env["integration.event"]._ingest(
            backend, envelope, envelope.payload, {}, "test-correlation", source
        )
        return self.env["integration.event"].browse(event_id)

    def _process_events(self):
        """Run the processing cron the way the cron worker does: on its own cursor."""
        self._run_cron("integration.event", "_cron_process_events")

    def _send_outbound(self):
        self._run_cron("integration.outbound", "_cron_send_outbound")

    def _run_cron(self, model, method):
        mode = nullcontext() if isinstance(self, HttpCase) else self.enter_registry_test_mode()
        self.env.flush_all()
        with mode, self.registry.cursor() as cr:
            getattr(api.Environment(cr, api.SUPERUSER_ID, {})[model], method)()
        self.env.invalidate_all()
