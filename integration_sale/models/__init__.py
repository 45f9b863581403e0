from . import account_move, account_payment, integration_deal, sale_order
