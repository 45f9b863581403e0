import { registry } from "@web/core/registry";

// Finance fixes a Stripe payment without invoice from Exceptions: Match an invoice, the
// payer's open invoice first and ticked, Match and resubmit; the choice is in the history.
registry.category("web_tour.tours").add("integration_stripe_match_invoice_tour", {
    url: "/odoo/action-integration_core.integration_exception_action",
    steps: () => [
        { trigger: ".o_data_row:contains('Payment 42.42 USD from jenny@example.com') .o_data_cell[name='error_message']", run: "click" },
        { trigger: ".o_form_view .alert-danger:contains('Payment without invoice')" },
        // offered: the payer is known and an invoice in USD is open; not offered: choose a customer
        { trigger: ".o_form_view:not(:has(button[name='action_stripe_open_choose_customer']))" },
        { trigger: "button[name='action_stripe_book_on_account']" },
        { trigger: "button[name='action_stripe_open_match_invoice']", run: "click" },
        { trigger: ".modal .o_field_widget[name='amount']:contains('42.42')" },
        { trigger: ".modal .o_data_row:first:contains('Jenny Rosen'):contains('42.00') .o_field_widget[name='chosen'] input:checked" },
        { trigger: ".modal .o_data_row:contains('Other Customer'):contains('50.00') .o_field_widget[name='chosen'] input:not(:checked)" },
        { trigger: ".modal button[name='action_match']", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Pending')" },
        { trigger: "a.nav-link:contains('History')", run: "click" },
        { trigger: ".o_field_widget[name='audit_ids'] .o_data_row:contains('Match an invoice'):contains('Jenny Rosen')" },
    ],
});
