"""Shopify constants: topics the connector handles, API defaults, statuses."""

DEFAULT_API_VERSION = "2025-07"

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
REFUND_TOPICS = ("refunds/create",)
CUSTOMER_TOPICS = ("customers/create", "customers/update")
PRODUCT_TOPICS = ("products/create", "products/update")
HANDLED_TOPICS = ORDER_TOPICS + REFUND_TOPICS + CUSTOMER_TOPICS + PRODUCT_TOPICS

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
}

# financial_status values of an order whose money Shopify has collected.
PAID_STATUSES = ("paid", "partially_refunded", "refunded")

TAX_POLICIES = [
    ("shopify", "Shopify's tax lines (fixed amounts)"),
    ("map", "Map Shopify tax rates to Odoo taxes"),
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
