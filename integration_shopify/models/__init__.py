from . import (
    integration_backend,
    integration_ownership,
    product_product,
    sale_order,
    sale_order_line,
    stock_move,
    stock_picking,
)
