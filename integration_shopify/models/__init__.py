from . import integration_backend, integration_ownership, sale_order, sale_order_line, stock_picking
