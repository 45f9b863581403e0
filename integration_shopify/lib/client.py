"""Shopify Admin GraphQL client (pure Python) on top of core's ApiClient.

The Odoo layer builds the ApiClient (timeouts, audit log, correlation ids) and gives a
callback for the cost report, so that the backend's rate limiter follows Shopify's own
leaky bucket (`extensions.cost.throttleStatus`)."""

import time
from decimal import Decimal

SHOP_QUERY = "query Shop { shop { name myshopifyDomain currencyCode } }"

WEBHOOK_CREATE = """
mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $url: URL!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 20) {
      nodes {
        id
        status
        lineItems(first: 100) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

INVENTORY_SET = """
mutation InventorySet($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message }
  }
}
"""

ORDERS_UPDATED = """
query OrdersUpdated($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      name
      email
      updatedAt
      createdAt
      cancelledAt
      currencyCode
      presentmentCurrencyCode
      taxesIncluded
      displayFinancialStatus
      totalPriceSet { ...Bag }
      currentTotalPriceSet { ...Bag }
      totalTaxSet { ...Bag }
      refunds(first: 20) {
        refundLineItems(first: 100) { nodes { quantity lineItem { id } } }
        transactions(first: 20) { nodes { kind status amountSet { ...Bag } } }
      }
      totalDiscountsSet { ...Bag }
      taxLines { title rate priceSet { ...Bag } }
      customer { legacyResourceId firstName lastName email phone }
      billingAddress { name address1 address2 city zip countryCodeV2 provinceCode phone company }
      shippingAddress { name address1 address2 city zip countryCodeV2 provinceCode phone company }
      lineItems(first: 100) {
        nodes {
          id
          sku
          name
          quantity
          currentQuantity
          taxable
          variant { legacyResourceId }
          originalUnitPriceSet { ...Bag }
          discountAllocations { allocatedAmountSet { ...Bag } }
          taxLines { title rate priceSet { ...Bag } }
        }
      }
      shippingLines(first: 20) {
        nodes {
          id
          title
          code
          originalPriceSet { ...Bag }
          discountAllocations { allocatedAmountSet { ...Bag } }
          taxLines { title rate priceSet { ...Bag } }
        }
      }
    }
  }
}
fragment Bag on MoneyBag { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
"""


PRODUCTS = """
query Products($first: Int!, $after: String) {
  products(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      title
      updatedAt
      variants(first: 100) {
        nodes { id legacyResourceId title sku barcode price inventoryItem { legacyResourceId } }
      }
    }
  }
}
"""

CUSTOMERS = """
query Customers($first: Int!, $after: String) {
  customers(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      firstName
      lastName
      email
      phone
      updatedAt
      defaultAddress { address1 address2 city zip countryCodeV2 provinceCode phone company }
    }
  }
}
"""


PAYOUTS = """
query Payouts($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after, query: $query) {
      pageInfo { hasNextPage endCursor }
      nodes { id legacyResourceId issuedAt status net { amount currencyCode } }
    }
  }
}
"""

BALANCE_TRANSACTIONS = """
query PayoutTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id type test sourceOrderTransactionId
        amount { amount currencyCode } fee { amount currencyCode } net { amount currencyCode }
        associatedPayout { id }
      }
    }
  }
}
"""


class ShopifyError(Exception):
    """Shopify answered with GraphQL errors or user errors."""


class ShopifyThrottled(ShopifyError):
    """The query cost more than the bucket holds now; `retry_after` seconds refill it."""

    def __init__(self, message, retry_after):
        super().__init__(message)
        self.retry_after = retry_after


def gid(kind, legacy_id):
    return f"gid://shopify/{kind}/{legacy_id}"


def legacy_id(global_id):
    return str(global_id or "").rsplit("/", 1)[-1]


class ShopifyGraphQL:
    def __init__(self, api_client, shop_domain, api_version, on_cost=None):
        self.api = api_client
        self.url = f"https://{shop_domain}/admin/api/{api_version}/graphql.json"
        self.on_cost = on_cost
        self.last_response = None
        self.last_cost = None

    def execute(self, query, variables=None, correlation_id=None, idempotency_key=None):
        """`data` of a query; raises ShopifyThrottled / ShopifyError on GraphQL errors."""
        response = self.api.request(
            "POST",
            self.url,
            json={"query": query, "variables": variables or {}},
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
        )
        self.last_response = response
        body = response.json()
        self.last_cost = (body.get("extensions") or {}).get("cost") or None
        throttle = (self.last_cost or {}).get("throttleStatus")
        if throttle and self.on_cost:
            self.on_cost(throttle)
        errors = body.get("errors")
        if errors:
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                raise ShopifyThrottled("Shopify throttled the query", throttled_wait(body))
            raise ShopifyError("; ".join(str(e.get("message")) for e in errors))
        return body.get("data") or {}

    def mutate(self, query, variables, field, **kwargs):
        """Run a mutation; raise ShopifyError with the user errors it answered."""
        result = self.execute(query, variables, **kwargs).get(field) or {}
        user_errors = result.get("userErrors") or []
        if user_errors:
            raise ShopifyError("; ".join(f"{e.get('field')}: {e.get('message')}" for e in user_errors))
        return result

    def paginate(self, query, field, variables=None, page_size=50, sleep=None, max_throttled=5, root=None):
        """Every node of connection `field`, page by page. Cost-throttled: a THROTTLED
        answer waits what Shopify asks and asks again; after each page, when the bucket
        holds less than the page cost, wait until it refills."""
        sleep = sleep or time.sleep
        after, throttled = None, 0
        while True:
            try:
                data = self.execute(query, {**(variables or {}), "first": page_size, "after": after})
            except ShopifyThrottled as exc:
                throttled += 1
                if throttled > max_throttled:
                    raise
                sleep(exc.retry_after)
                continue
            throttled = 0
            connection = ((data.get(root) or {}) if root else data).get(field) or {}
            yield from connection.get("nodes") or []
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            wait = refill_wait(self.last_cost)
            if wait:
                sleep(wait)
            after = page.get("endCursor")

    def orders_updated(self, date_from, date_to, page_size=50, sleep=None):
        """Orders updated in [date_from, date_to] (naive UTC datetimes)."""
        search = (
            f"updated_at:>='{date_from:%Y-%m-%dT%H:%M:%SZ}' AND updated_at:<='{date_to:%Y-%m-%dT%H:%M:%SZ}'"
        )
        return self.paginate(ORDERS_UPDATED, "orders", {"query": search}, page_size, sleep)

    def payouts(self, date_from, date_to, page_size=50, sleep=None):
        """Shopify Payments payouts issued in [date_from, date_to] (naive UTC datetimes)."""
        search = (
            f"issued_at:>='{date_from:%Y-%m-%dT%H:%M:%SZ}' AND issued_at:<='{date_to:%Y-%m-%dT%H:%M:%SZ}'"
        )
        variables = {"query": search}
        return self.paginate(PAYOUTS, "payouts", variables, page_size, sleep, root="shopifyPaymentsAccount")

    def payout_transactions(self, payout_id, page_size=100, sleep=None):
        """The balance transactions a payout settles (the payout's own transfer included)."""
        variables = {"query": f"payments_transfer_id:{payout_id}"}
        return self.paginate(
            BALANCE_TRANSACTIONS,
            "balanceTransactions",
            variables,
            page_size,
            sleep,
            root="shopifyPaymentsAccount",
        )


def refill_wait(cost):
    """Seconds until the bucket again holds what the last query cost (0: go on)."""
    cost = cost or {}
    status = cost.get("throttleStatus") or {}
    spent = Decimal(str(cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0))
    available = Decimal(str(status.get("currentlyAvailable", spent)))
    rate = Decimal(str(status.get("restoreRate") or 50))
    return float((spent - available) / rate) if available < spent else 0.0


def throttled_wait(body):
    """Seconds until the bucket holds the requested cost again."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    requested = Decimal(str(cost.get("requestedQueryCost") or 0))
    available = Decimal(str(status.get("currentlyAvailable") or 0))
    rate = Decimal(str(status.get("restoreRate") or 50))
    return float(max((requested - available) / rate, Decimal(1)))


def fulfillment_input(order_data, wanted, tracking_company="", tracking_number="", notify=False):
    """FulfillmentInput for the open fulfillment-order lines of `wanted` ({line item id:
    quantity}). None when nothing is left to fulfil (already done: do not fulfil twice)."""
    remaining = dict(wanted)
    groups = []
    nodes = ((order_data or {}).get("fulfillmentOrders") or {}).get("nodes") or []
    for fulfillment_order in nodes:
        if fulfillment_order.get("status") not in ("OPEN", "IN_PROGRESS", "SCHEDULED"):
            continue
        items = []
        for line in (fulfillment_order.get("lineItems") or {}).get("nodes") or []:
            line_item_id = legacy_id((line.get("lineItem") or {}).get("id"))
            quantity = min(remaining.get(line_item_id, 0), line.get("remainingQuantity") or 0)
            if quantity > 0:
                items.append({"id": line["id"], "quantity": quantity})
                remaining[line_item_id] -= quantity
        if items:
            groups.append({"fulfillmentOrderId": fulfillment_order["id"], "fulfillmentOrderLineItems": items})
    if not groups:
        return None
    fulfillment = {"lineItemsByFulfillmentOrder": groups, "notifyCustomer": notify}
    if tracking_number or tracking_company:
        fulfillment["trackingInfo"] = {"company": tracking_company or None, "number": tracking_number or None}
    return fulfillment


def _amount(money_set):
    return ((money_set or {}).get("shopMoney") or {}).get("amount") or "0.00"


def _money_set(money_set):
    """A GraphQL MoneyBag as the webhook's `*_set` (shop and presentment money), or None when
    the node has no presentment money (then the plain shop amount is all there is)."""
    presentment = (money_set or {}).get("presentmentMoney")
    if not presentment:
        return None
    shop = money_set.get("shopMoney") or {}
    return {
        "shop_money": {"amount": shop.get("amount"), "currency_code": shop.get("currencyCode")},
        "presentment_money": {
            "amount": presentment.get("amount"),
            "currency_code": presentment.get("currencyCode"),
        },
    }


def _with_set(key, money_set):
    """{key: shop amount, key_set: both amounts} for a REST-shaped line."""
    values = {key: _amount(money_set)}
    both = _money_set(money_set)
    if both:
        values[f"{key}_set"] = both
    return values


def _tax_lines(nodes):
    return [
        {"title": t.get("title"), "rate": t.get("rate"), **_with_set("price", t.get("priceSet"))}
        for t in nodes or []
    ]


def _allocations(nodes):
    return [_with_set("amount", a.get("allocatedAmountSet")) for a in nodes or []]


def _address(address):
    if not address:
        return None
    return {
        "name": address.get("name"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "zip": address.get("zip"),
        "country_code": address.get("countryCodeV2"),
        "province_code": address.get("provinceCode"),
        "phone": address.get("phone"),
        "company": address.get("company"),
    }


def rest_order_from_graphql(node):
    """A GraphQL order node in the shape of the `orders/updated` webhook body, so that a
    reconciliation line replays through the same handler as a webhook."""
    customer = node.get("customer") or None
    return {
        "id": int(node.get("legacyResourceId") or legacy_id(node.get("id"))),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "taxes_included": bool(node.get("taxesIncluded")),
        "financial_status": (node.get("displayFinancialStatus") or "").lower(),
        **_with_set("total_price", node.get("totalPriceSet")),
        **(
            _with_set("current_total_price", node["currentTotalPriceSet"])
            if node.get("currentTotalPriceSet")
            else {}
        ),
        "refunds": [
            {
                "refund_line_items": [
                    {
                        "line_item_id": int(legacy_id((item.get("lineItem") or {}).get("id")) or 0),
                        "quantity": item.get("quantity"),
                    }
                    for item in (refund.get("refundLineItems") or {}).get("nodes") or []
                ],
                "transactions": [
                    {
                        "kind": (t.get("kind") or "").lower(),
                        "status": (t.get("status") or "").lower(),
                        # refund transactions are in the customer's (presentment) currency
                        "amount": ((_money_set(t.get("amountSet")) or {}).get("presentment_money") or {}).get(
                            "amount"
                        )
                        or _amount(t.get("amountSet")),
                    }
                    for t in (refund.get("transactions") or {}).get("nodes") or []
                ],
            }
            for refund in node.get("refunds") or []
        ],
        **_with_set("total_tax", node.get("totalTaxSet")),
        **_with_set("total_discounts", node.get("totalDiscountsSet")),
        "tax_lines": _tax_lines(node.get("taxLines")),
        "customer": customer
        and {
            "id": int(customer.get("legacyResourceId") or 0),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "email": customer.get("email"),
            "phone": customer.get("phone"),
        },
        "billing_address": _address(node.get("billingAddress")),
        "shipping_address": _address(node.get("shippingAddress")),
        "line_items": [
            {
                "id": int(legacy_id(item.get("id"))),
                "sku": item.get("sku"),
                "name": item.get("name"),
                "quantity": item.get("quantity"),
                "current_quantity": item.get("currentQuantity", item.get("quantity")),
                "taxable": item.get("taxable", True),
                "variant_id": int((item.get("variant") or {}).get("legacyResourceId") or 0) or None,
                **_with_set("price", item.get("originalUnitPriceSet")),
                "discount_allocations": _allocations(item.get("discountAllocations")),
                "tax_lines": _tax_lines(item.get("taxLines")),
            }
            for item in (node.get("lineItems") or {}).get("nodes") or []
        ],
        "shipping_lines": [
            {
                "id": int(legacy_id(ship.get("id")) or 0) or None,
                "title": ship.get("title"),
                "code": ship.get("code"),
                **_with_set("price", ship.get("originalPriceSet")),
                "discount_allocations": _allocations(ship.get("discountAllocations")),
                "tax_lines": _tax_lines(ship.get("taxLines")),
            }
            for ship in (node.get("shippingLines") or {}).get("nodes") or []
        ],
    }


def rest_product_from_graphql(node):
    """A GraphQL product node in the shape of the `products/update` webhook body."""
    return {
        "id": int(node.get("legacyResourceId") or legacy_id(node.get("id"))),
        "title": node.get("title"),
        "updated_at": node.get("updatedAt"),
        "variants": [
            {
                "id": int(variant.get("legacyResourceId") or legacy_id(variant.get("id"))),
                "title": variant.get("title"),
                "sku": variant.get("sku"),
                "barcode": variant.get("barcode"),
                "price": variant.get("price"),
                "inventory_item_id": (variant.get("inventoryItem") or {}).get("legacyResourceId"),
            }
            for variant in (node.get("variants") or {}).get("nodes") or []
        ],
    }


def rest_customer_from_graphql(node):
    """A GraphQL customer node in the shape of the `customers/update` webhook body."""
    address = _address(node.get("defaultAddress")) or {}
    return {
        "id": int(node.get("legacyResourceId") or legacy_id(node.get("id"))),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "updated_at": node.get("updatedAt"),
        "default_address": address,
    }
