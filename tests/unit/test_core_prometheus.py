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


def test_render_a_histogram_with_buckets_sum_and_count():
    base = {"backend": "SF", "step": "quote_to_order"}
    text = render(
        [
            {
                "name": "integration_deal_cycle_minutes",
                "help": "Minutes per step.",
                "type": "histogram",
                "samples": [
                    ("_bucket", {**base, "le": "15"}, 1),
                    ("_bucket", {**base, "le": "+Inf"}, 2),
                    ("_sum", base, 42.5),
                    ("_count", base, 2),
                ],
            }
        ]
    )
    assert "# TYPE integration_deal_cycle_minutes histogram" in text
    assert 'integration_deal_cycle_minutes_bucket{backend="SF",le="15",step="quote_to_order"} 1' in text
    assert 'integration_deal_cycle_minutes_bucket{backend="SF",le="+Inf",step="quote_to_order"} 2' in text
    assert 'integration_deal_cycle_minutes_sum{backend="SF",step="quote_to_order"} 42.5' in text
    assert 'integration_deal_cycle_minutes_count{backend="SF",step="quote_to_order"} 2' in text
