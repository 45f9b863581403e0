from . import (
    account_move,
    integration_backend,
    integration_backend_orders,
    integration_backend_partners,
    integration_backend_quote_end,
    integration_backend_reconciliation,
    integration_backend_writeback,
    integration_event,
    integration_outbound,
    integration_salesforce_order_change,
    sale_order,
    sale_order_line,
)
