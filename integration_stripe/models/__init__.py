from . import account_move, integration_backend, integration_stripe_payout
