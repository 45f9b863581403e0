from integration_core.lib.prometheus import render


def test_render_help_type_and_escaped_labels():
    text = render(
        [
            {
                "name": "integration_queue_depth",
                "help": "Events waiting.",
                "type": "gauge",
                "samples": [({"backend": 'Shop "EU"', "state": "pending"}, 3), ({}, 0)],
            }
        ]
    )
    assert text.splitlines() == [
        "# HELP integration_queue_depth Events waiting.",
        "# TYPE integration_queue_depth gauge",
        'integration_queue_depth{backend="Shop \\"EU\\"",state="pending"} 3',
        "integration_queue_depth 0",
    ]
