"""Screenshots of the finance screens for docs/screens/, from a running demo server
(`make demo`, then `.local/venv/bin/python setup/screenshots.py`; DEMO_PORT as for the demo).

Headless Chromium driven over its DevTools protocol (websocket-client, which Odoo's own tour
runner uses): log in over JSON-RPC, give the browser the session cookie, open each screen,
wait for what it must show, capture it."""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

from odoo_client import OdooClient

PORT = int(os.environ.get("DEMO_PORT", "8069"))
BASE_URL = f"http://127.0.0.1:{PORT}"
OUT = Path(__file__).resolve().parents[1] / "docs" / "screens"
DEBUG_PORT = int(os.environ.get("SCREENS_DEBUG_PORT", "9333"))


class Browser:
    def __init__(self, width=1440, height=900):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            sys.exit("[screens] chromium is needed (setup/bootstrap.sh installs it)")
        self.profile = tempfile.mkdtemp(prefix="screens_chrome_")
        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
             f"--remote-debugging-port={DEBUG_PORT}", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(50):
            try:
                pages = requests.get(f"http://127.0.0.1:{DEBUG_PORT}/json", timeout=2).json()
                page = next(p for p in pages if p["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        else:
            sys.exit("[screens] chromium did not start")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{selector} never appeared")

    def click(self, selector):
        self.wait_for(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")

    def shot(self, url, name, wait, click=None, then=None):
        self.send("Page.navigate", url=BASE_URL + url)
        self.wait_for(wait)
        if click:
            self.click(click)
            self.wait_for(then)
        time.sleep(1.5)  # let the last renders and fonts settle
        png = base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
        (OUT / name).write_bytes(png)
        print(f"[screens] {name}: {len(png)} bytes")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    db = os.environ.get("DEMO_DB", "integration_demo")
    admin = OdooClient(BASE_URL, db).login("admin", "admin")
    session_id = admin.session.cookies.get("session_id")
    event = admin.call(
        "integration.event", "search_read",
        [("kind", "=", "stripe"), ("state", "=", "failed"),
         ("fix_code", "=", "stripe_payment_without_invoice")],
        ["id"], limit=1,
    )  # fmt: skip
    payout = admin.call("integration.stripe.payout", "search_read", [], ["id"], limit=1)
    shopify = admin.call("integration.backend", "search_read", [("kind", "=", "shopify")], ["id"], limit=1)
    if not (event and payout and shopify):
        sys.exit(f"[screens] the demo lacks a failed Stripe payment, a payout or a Shopify backend: {event=}")
    OUT.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        browser.send("Network.enable")
        browser.send("Network.setCookie", name="session_id", value=session_id, url=BASE_URL)
        browser.shot("/odoo/action-integration_core.integration_dashboard_server_action", "dashboard.png",
                     ".o_kanban_record a[name='action_open_failed']")  # fmt: skip
        browser.shot(f"/odoo/action-integration_core.integration_exception_action/{event[0]['id']}",
                     "stripe-payment-match-invoice.png", "button[name='action_stripe_open_match_invoice']",
                     click="button[name='action_stripe_open_match_invoice']",
                     then=".modal .o_field_widget[name='line_ids'] .o_data_row")  # fmt: skip
        browser.shot(f"/odoo/action-integration_stripe.integration_stripe_payout_action/{payout[0]['id']}",
                     "stripe-payout.png", ".o_form_view .o_field_widget[name='check_state']")  # fmt: skip
        browser.shot(f"/odoo/action-integration_core.integration_backend_action/{shopify[0]['id']}",
                     "backend-warnings.png", ".o_integration_credential_warnings")  # fmt: skip
    finally:
        browser.close()


if __name__ == "__main__":
    main()
