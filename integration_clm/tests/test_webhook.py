"""Real signed HTTP to the real webhook route, for each vendor's scheme."""

import json
import time
from urllib.parse import urlencode

from odoo.tests import HttpCase, tagged

from .common import (
    DOCUSIGN_XML,
    DROPBOX_SIGN_JSON,
    ENVELOPE_ID,
    OLD_KEY,
    ClmCaseMixin,
    docusign_xml,
    dropbox_sign_payload,
    pandadoc_event,
)


@tagged("post_install", "-at_install")
class TestDocuSignWebhook(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("docusign")

    def test_shared_xml_as_it_is_is_stored_with_the_envelope_as_entity(self):
        body = DOCUSIGN_XML.read_bytes()
        response = self._post_docusign(body)
        self.assertEqual(response.status_code, 200, response.text)
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.event_type, "envelope-completed")
        self.assertEqual(event.entity_key, f"docusign:{ENVELOPE_ID}")
        self.assertEqual(event.summary, "DocuSign envelope 08740f95-218 signed (larry.kluger@example.com)")
        self.assertEqual(event.payload.encode(), body)

    def test_bad_signature_is_refused_and_stores_nothing(self):
        response = self._post_docusign(docusign_xml(), keys=("not-a-key",))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())

    def test_missing_signature_is_refused(self):
        response = self.url_open(self.url, data=docusign_xml(), headers={"Content-Type": "text/xml"})
        self.assertEqual(response.status_code, 401)

    def test_rotated_keys_any_header_matching_any_key_passes(self):
        # DocuSign sends one header per active key: -1 with the new key Odoo does not know yet
        response = self._post_docusign(docusign_xml(), keys=("brand-new-key", OLD_KEY))
        self.assertEqual(response.status_code, 200, response.text)

    def test_duplicate_delivery_is_stored_once(self):
        body = docusign_xml(status="Sent")
        self.assertEqual(self._post_docusign(body).status_code, 200)
        self.assertEqual(self._post_docusign(body).status_code, 200)
        self.assertEqual(len(self._events()), 1)

    def test_json_sim_delivery(self):
        body = json.dumps(
            {
                "event": "envelope-sent",
                "generatedDateTime": "2026-11-30T10:00:00Z",
                "data": {"accountId": "a", "envelopeId": "env-json", "envelopeSummary": {"status": "sent"}},
            }
        ).encode()
        response = self._post_docusign(body, content_type="application/json")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self._events().entity_key, "docusign:env-json")

    def test_malformed_but_signed_body_is_stored_as_failed(self):
        # Issue 19: core's route stores a signed but unreadable body as a failed event with the
        # reason, and acknowledges it (DocuSign would retry it for days).
        body = b"<DocuSignEnvelopeInformation><broken"
        response = self._post_docusign(body, content_type="text/xml")
        self.assertEqual(response.status_code, 200, response.text)
        event = self._events()
        self.assertEqual(
            (event.event_type, event.state, event.payload), ("unreadable delivery", "failed", body.decode())
        )
        self.assertIn("not XML", event.error_message)
        self.assertIn("DocuSign", event.error_message)

    def test_signed_xml_without_envelope_id_is_stored_as_failed(self):
        body = docusign_xml().replace(f"<EnvelopeID>{ENVELOPE_ID}</EnvelopeID>".encode(), b"")
        self.assertEqual(self._post_docusign(body).status_code, 200)
        self.assertEqual(self._events().state, "failed")

    def test_unsupported_content_type(self):
        response = self._post_docusign(docusign_xml(), content_type="text/plain")
        self.assertEqual(response.status_code, 415)


@tagged("post_install", "-at_install")
class TestDropboxSignWebhook(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("dropbox_sign")

    def test_multipart_callback_gets_the_exact_answer(self):
        response = self._post_dropbox_sign(dropbox_sign_payload())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "Hello API Event Received")
        self.assertEqual(self._events().event_type, "signature_request_sent")

    def test_urlencoded_form_callback_is_accepted(self):
        body = urlencode({"json": json.dumps(dropbox_sign_payload())}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self.url_open(self.url, data=body, headers=headers, allow_redirects=False)
        self.assertEqual(response.text, "Hello API Event Received")
        self.assertEqual(len(self._events()), 1)

    def test_form_without_json_field_is_refused(self):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self.url_open(self.url, data=b"other=1", headers=headers, allow_redirects=False)
        self.assertEqual(response.status_code, 401)  # the signature lives in the missing field
        self.assertFalse(self._events())

    def test_plain_json_callback_is_accepted(self):
        response = self._post_dropbox_sign(dropbox_sign_payload(), as_form=False)
        self.assertEqual(response.text, "Hello API Event Received")

    def test_duplicate_answers_the_same_text_and_stores_once(self):
        payload = dropbox_sign_payload()
        self._post_dropbox_sign(payload)
        response = self._post_dropbox_sign(payload)
        self.assertEqual(response.text, "Hello API Event Received")
        self.assertEqual(len(self._events()), 1)

    def test_event_hash_of_another_key_is_refused(self):
        response = self._post_dropbox_sign(dropbox_sign_payload(key="someone-else"))
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())

    def test_shared_fixture_hash_is_refused_for_our_key(self):
        # the documentation example was hashed with a key we do not hold
        payload = json.loads(DROPBOX_SIGN_JSON.read_text())
        self.assertEqual(self._post_dropbox_sign(payload).status_code, 401)

    def test_stale_event_time_is_refused(self):
        old = int(time.time()) - self.backend.clm_signature_tolerance - 60
        self.assertEqual(self._post_dropbox_sign(dropbox_sign_payload(event_time=old)).status_code, 401)

    def test_rotated_api_key(self):
        self.backend.webhook_secret_previous = "previous-api-key"
        response = self._post_dropbox_sign(dropbox_sign_payload(key="previous-api-key"))
        self.assertEqual(response.status_code, 200)

    def test_callback_test_is_answered_and_stored_as_a_test(self):
        payload = {"event": dropbox_sign_payload("callback_test")["event"]}
        response = self._post_dropbox_sign(payload)
        self.assertEqual(response.text, "Hello API Event Received")
        self._process_events()
        event = self._events()
        self.assertEqual((event.event_type, event.state), ("callback_test", "done"))
        self.assertIn("callback test", event.result_note)

    def test_malformed_but_signed_is_stored_as_failed_with_the_answer_dropbox_sign_expects(self):
        payload = dropbox_sign_payload()
        del payload["signature_request"]["signature_request_id"]
        response = self._post_dropbox_sign(payload)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "Hello API Event Received", "else Dropbox Sign retries it")
        event = self._events()
        self.assertEqual((event.event_type, event.state), ("unreadable delivery", "failed"))
        self.assertIn("signature_request_id", event.error_message)
        self.assertIn("signature_request", event.payload, "the form's json field, as received")
        # The manager corrects the callback and resubmits it: it is read again, as a form.
        fixed = json.loads(json.loads(event.payload)["json"])
        fixed["signature_request"]["signature_request_id"] = "sr-corrected"
        event._edit_payload(json.dumps({"json": json.dumps(fixed)}))
        self._process_events()
        self.assertEqual(event.state, "done", event.error_message)
        read_again = self._events() - event
        self.assertEqual(read_again.entity_key, "dropbox_sign:sr-corrected")


@tagged("post_install", "-at_install")
class TestPandaDocWebhook(ClmCaseMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_clm("pandadoc")

    def _three(self):
        return [
            pandadoc_event("doc-1", "document.sent", "2026-11-30T10:00:00.000000Z"),
            pandadoc_event("doc-1", "document.viewed", "2026-11-30T10:05:00.000000Z"),
            pandadoc_event("doc-1", "document.completed", "2026-11-30T10:09:00.000000Z"),
        ]

    def test_array_of_three_events_gives_three_rows(self):
        response = self._post_pandadoc(self._three())
        self.assertEqual(response.status_code, 200, response.text)
        events = self._events()
        self.assertEqual(len(events), 3)
        self.assertEqual(set(events.mapped("entity_key")), {"pandadoc:doc-1"})
        self.assertEqual(json.loads(events[0].payload)["data"]["status"], "document.sent")

    def test_the_same_array_again_adds_nothing(self):
        self._post_pandadoc(self._three())
        self._post_pandadoc(self._three())
        self.assertEqual(len(self._events()), 3)

    def test_signature_query_parameter(self):
        self.assertEqual(self._post_pandadoc(self._three(), key="wrong").status_code, 401)
        self.assertEqual(self._post_pandadoc(self._three(), key=OLD_KEY).status_code, 200)  # rotation
        body = json.dumps(self._three()).encode()
        response = self.url_open(self.url, data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 401)  # no ?signature=
