"""Shopify constants: topics the connector handles, API defaults, statuses."""

DEFAULT_API_VERSION = "2025-07"

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
REFUND_TOPICS = ("refunds/create",)
CUSTOMER_TOPICS = ("customers/create", "customers/update")
PRODUCT_TOPICS = ("products/create", "products/update")
FULFILLMENT_TOPICS = ("fulfillments/create", "fulfillments/update")
TRANSACTION_TOPICS = ("order_transactions/create",)
# topic -> the typed payload (lib/schemas.py) its handler reads
TOPIC_RESOURCES = {
    **dict.fromkeys(ORDER_TOPICS, "order"),
    **dict.fromkeys(REFUND_TOPICS, "refund"),
    **dict.fromkeys(CUSTOMER_TOPICS, "customer"),
    **dict.fromkeys(PRODUCT_TOPICS, "product"),
    **dict.fromkeys(FULFILLMENT_TOPICS, "fulfillment"),
    **dict.fromkeys(TRANSACTION_TOPICS, "transaction"),
}

# Webhook subscriptions the "Check and register webhooks" button creates (GraphQL enum names).
WEBHOOK_SUBSCRIPTIONS = {
    "orders/create": "ORDERS_CREATE",
    "orders/updated": "ORDERS_UPDATED",
    "orders/paid": "ORDERS_PAID",
    "orders/cancelled": "ORDERS_CANCELLED",
    "refunds/create": "REFUNDS_CREATE",
    "customers/create": "CUSTOMERS_CREATE",
    "customers/update": "CUSTOMERS_UPDATE",
    "products/create": "PRODUCTS_CREATE",
    "products/update": "PRODUCTS_UPDATE",
    "fulfillments/create": "FULFILLMENTS_CREATE",
    "fulfillments/update": "FULFILLMENTS_UPDATE",
    "order_transactions/create": "ORDER_TRANSACTIONS_CREATE",
}

# financial_status values of an order whose money Shopify has collected.
PAID_STATUSES = ("paid", "partially_refunded", "refunded")

TAX_POLICIES = [
    ("shopify", "Shopify's tax lines (fixed amounts)"),
    ("map", "Map Shopify tax rates to Odoo taxes"),
]
INVOICE_CURRENCIES = [
    ("presentment", "Currency the customer paid (presentment)"),
    ("shop", "Shop currency"),
]
ORDER_TRIGGERS = [
    ("any", "Every order"),
    ("paid", "Paid orders only"),
]
CUSTOMER_POLICIES = [
    ("customer", "One contact per Shopify customer"),
    ("guest", "One contact for all orders"),
]

OUTBOUND_FULFILLMENT = "fulfillment.create"
OUTBOUND_INVENTORY = "inventory.set"

RECONCILE_PAGE_SIZE = 50
INVENTORY_BATCH = 100  # quantities per inventorySetQuantities call
IMPORT_PAGE_SIZE = 50
PAYOUT_PULL_DAYS = 7  # the pull cron reads the payouts issued in the last days
