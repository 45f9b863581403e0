from . import (
    test_binder,
    test_commit_groups,
    test_dashboard,
    test_failure_contract,
    test_metrics,
    test_outbound,
    test_ownership,
    test_processing,
    test_reconciliation,
    test_security,
    test_ui,
    test_webhook,
)
