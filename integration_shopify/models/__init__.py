from . import (
    integration_backend,
    integration_ownership,
    integration_shopify_gateway,
    integration_shopify_location,
    product_product,
    sale_order,
    sale_order_line,
    stock_move,
    stock_picking,
)
