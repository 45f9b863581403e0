from . import account_move, integration_backend, integration_event, integration_stripe_payout, res_partner
