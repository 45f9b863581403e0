from . import test_confirmation_gate
