from odoo import http
from odoo.http import request


class BenchController(http.Controller):
    # The baseline of the ingest benchmark: same server, same routing, no work.
    @http.route("/integration_bench/ping", type="http", auth="none", methods=["POST"], csrf=False)
    def ping(self, **_params):
        return request.make_response("ok")
