from . import account_move, account_payment, integration_deal, integration_documents, sale_order
