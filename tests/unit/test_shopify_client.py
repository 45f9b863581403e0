import json
from datetime import datetime

import pytest
import responses

from integration_core.lib.http_client import ApiClient
from integration_shopify.lib.client import (
    ShopifyError,
    ShopifyGraphQL,
    ShopifyThrottled,
    fulfillment_input,
    rest_order_from_graphql,
)
from integration_shopify.lib.orders import parse_order

URL = "https://shop.example.com/admin/api/2025-07/graphql.json"


def _client(costs=None):
    return ShopifyGraphQL(
        ApiClient("https://shop.example.com"),
        "shop.example.com",
        "2025-07",
        costs.append if costs is not None else None,
    )


def _fulfillment_orders(remaining):
    return {
        "fulfillmentOrders": {
            "nodes": [
                {"id": "gid://shopify/FulfillmentOrder/1", "status": "CLOSED", "lineItems": {"nodes": []}},
                {
                    "id": "gid://shopify/FulfillmentOrder/2",
                    "status": "OPEN",
                    "lineItems": {
                        "nodes": [
                            {
                                "id": "gid://shopify/FulfillmentOrderLineItem/21",
                                "remainingQuantity": remaining,
                                "lineItem": {"id": "gid://shopify/LineItem/466157049"},
                            },
                        ]
                    },
                },
            ]
        }
    }  # fmt: skip


def test_fulfillment_input_takes_open_lines_only():
    fulfillment = fulfillment_input(_fulfillment_orders(2), {"466157049": 1, "999": 3}, "UPS", "1Z2345")
    assert fulfillment == {
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/2",
                "fulfillmentOrderLineItems": [
                    {"id": "gid://shopify/FulfillmentOrderLineItem/21", "quantity": 1}
                ],
            }
        ],
        "notifyCustomer": False,
        "trackingInfo": {"company": "UPS", "number": "1Z2345"},
    }
    assert fulfillment_input(_fulfillment_orders(0), {"466157049": 1}) is None, "already fulfilled"


@responses.activate
def test_cost_is_reported_and_throttling_raised():
    costs = []
    throttle = {"maximumAvailable": 2000.0, "currentlyAvailable": 10, "restoreRate": 100.0}
    responses.post(
        URL, json={"data": {"shop": {"name": "S"}}, "extensions": {"cost": {"throttleStatus": throttle}}}
    )
    responses.post(
        URL,
        json={
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {"cost": {"requestedQueryCost": 310, "throttleStatus": throttle}},
        },
    )
    responses.post(URL, json={"errors": [{"message": "Field 'x' doesn't exist"}]})
    client = _client(costs)
    assert client.execute("query { shop { name } }") == {"shop": {"name": "S"}}
    assert costs == [throttle]
    with pytest.raises(ShopifyThrottled) as throttled:
        client.execute("query { orders }")
    assert throttled.value.retry_after == 3.0  # (310 - 10) / 100
    with pytest.raises(ShopifyError, match="doesn't exist"):
        client.execute("query { x }")


@responses.activate
def test_orders_updated_pages_through_cursors():
    node = {"id": "gid://shopify/Order/1", "legacyResourceId": "1", "name": "#1", "currencyCode": "USD",
            "updatedAt": "2026-11-26T10:00:00Z", "totalPriceSet": {"shopMoney": {"amount": "10.00"}},
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/5", "sku": "A", "quantity": 2,
                                     "currentQuantity": 2,
                                     "originalUnitPriceSet": {"shopMoney": {"amount": "5.00"}},
                                     "discountAllocations": [], "taxLines": []}]},
            "shippingLines": {"nodes": []}, "taxLines": []}  # fmt: skip
    page = {"pageInfo": {"hasNextPage": True, "endCursor": "c1"}, "nodes": [node]}
    last = {
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [dict(node, legacyResourceId="2")],
    }
    responses.post(URL, json={"data": {"orders": page}})
    responses.post(URL, json={"data": {"orders": last}})
    nodes = list(_client().orders_updated(datetime(2026, 11, 25), datetime(2026, 11, 27)))
    assert [n["legacyResourceId"] for n in nodes] == ["1", "2"]
    second = json.loads(responses.calls[1].request.body)
    assert second["variables"]["after"] == "c1"
    assert "updated_at:>='2026-11-25T00:00:00Z'" in second["variables"]["query"]
    rest = rest_order_from_graphql(node)
    parsed = parse_order(rest)
    assert (parsed.id, parsed.total_price, parsed.products[0].quantity) == ("1", 10, 2)
    assert parsed.products[0].ref == "5"


@responses.activate
def test_paginate_waits_when_throttled_and_when_the_bucket_runs_low():
    low = {"actualQueryCost": 300, "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 100,
                                                      "restoreRate": 50}}  # fmt: skip
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {"cost": {"requestedQueryCost": 300, "throttleStatus": low["throttleStatus"]}},
    }
    first = {"pageInfo": {"hasNextPage": True, "endCursor": "a"}, "nodes": [{"id": 1}]}
    last = {"pageInfo": {"hasNextPage": False}, "nodes": [{"id": 2}]}
    responses.post(URL, json={"data": {"products": first}, "extensions": {"cost": low}})
    responses.post(URL, json=throttled)
    responses.post(URL, json={"data": {"products": last}})
    waits = []
    nodes = list(_client().paginate("query", "products", page_size=1, sleep=waits.append))
    assert nodes == [{"id": 1}, {"id": 2}]
    assert waits == [4.0, 4.0]  # (300 - 100) / 50 after the page, then what THROTTLED asks


def test_graphql_products_and_customers_in_webhook_shape():
    from integration_shopify.lib import schemas
    from integration_shopify.lib.client import rest_customer_from_graphql, rest_product_from_graphql
    from integration_shopify.lib.orders import customer_values, product_variants

    product = rest_product_from_graphql(
        {
            "id": "gid://shopify/Product/632910392",
            "title": "IPod Nano - 8GB",
            "updatedAt": "2011-10-20T14:05:13-04:00",
            "variants": {"nodes": [{"id": "gid://shopify/ProductVariant/808950810", "title": "Pink",
                                    "sku": "IPOD2008PINK", "price": "199.00",
                                    "inventoryItem": {"legacyResourceId": "77"}}]},
        }
    )  # fmt: skip
    product_id, _updated, variants = product_variants(product)
    assert (product_id, variants[0][0], variants[0][1]["inventory_item_id"]) == (
        "632910392",
        "808950810",
        "77",
    )
    customer = rest_customer_from_graphql(
        {"legacyResourceId": "207119551", "firstName": "Bob", "lastName": "Norman",
         "email": "bob@example.com",
         "defaultAddress": {"city": "Louisville", "countryCodeV2": "US", "provinceCode": "KY"}}
    )  # fmt: skip
    values = customer_values(schemas.parse("customer", customer))
    assert (customer["id"], values["name"], values["country_code"], values["state_code"]) == (
        207119551, "Bob Norman", "US", "KY")  # fmt: skip
