import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

// A manager sets up a backend from Integrations > Backends and activates it. (Opened by its
// action: with every connector installed the menu bar folds Backends into its "more" menu.)
registry.category("web_tour.tours").add("integration_core_backend_tour", {
    url: "/odoo/action-integration_core.integration_backend_action",
    steps: () => [
        { trigger: "button.o_list_button_add", run: "click" },
        { trigger: ".o_field_widget[name='name'] input", run: "edit Tour backend" },
        { trigger: ".o_field_widget[name='kind'] .o_select_menu_toggler", run: "click" },
        { trigger: ".o_select_menu_item:contains('Signed webhook (HMAC-SHA256)')", run: "click" },
        // a new record keeps the tab it opened on (Sending): open the kind's own tab
        { trigger: "a.nav-link:contains('Signed webhook')", run: "click" },
        { trigger: ".o_field_widget[name='signature_header'] input", run: "edit X-Tour-Signature" },
        ...stepUtils.saveForm(),
        { trigger: ".o_field_widget[name='webhook_url']:contains('/integration/webhook/')" },
        // no secret yet: the banner says what that disables, and goes once it is set
        { trigger: ".o_integration_credential_warnings:contains('Webhook secret'):contains('every delivery is refused')" },
        { trigger: ".o_field_widget[name='webhook_secret'] input", run: "edit tour-secret" },
        ...stepUtils.saveForm(),
        { trigger: ".o_form_view:not(:has(.o_integration_credential_warnings))" },
        { trigger: "a.nav-link:contains('System of record')", run: "click" },
        { trigger: ".o_field_widget[name='ownership_ids'] .o_data_row:contains('Customers')" },
        { trigger: "button[name='action_activate']", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')" },
    ],
});

// Finance opens Exceptions, reads what is wrong and ignores the event with a reason.
registry.category("web_tour.tours").add("integration_core_exceptions_tour", {
    url: "/odoo/action-integration_core.integration_exception_action",
    steps: () => [
        { trigger: ".o_data_cell:contains('Contact TOUR-1 has no name')", run: "click" },
        { trigger: ".o_form_view .alert-danger:contains('Contact TOUR-1 has no name')" },
        { trigger: "button[name='action_open_ignore_wizard']", run: "click" },
        { trigger: ".modal .o_field_widget[name='reason'] input", run: "edit Test contact from the vendor" },
        { trigger: ".modal button[name='action_confirm']", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Ignored')" },
    ],
});

// An administrator changes the retry policy in Settings > Integrations.
registry.category("web_tour.tours").add("integration_core_settings_tour", {
    url: "/odoo/settings#integration_core",
    steps: () => [
        { trigger: ".o_setting_box:contains('Retries') .o_field_widget[name='integration_max_attempts'] input", run: "edit 7" },
        { trigger: ".o_setting_box:contains('Backends') .o_data_row:contains('Settings tour backend')" },
        // Saving settings reloads the page.
        { trigger: ".o_form_button_save", run: "click", expectUnloadPage: true },
        { trigger: ".o_field_widget[name='integration_max_attempts'] input:value(7)" },
    ],
});

// Operations opens the dashboard, follows the failed figure to its events, then resolves
// the drift a reconciliation run found.
registry.category("web_tour.tours").add("integration_core_dashboard_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("integration_core.menu_integration_root"),
        { trigger: 'a[data-menu-xmlid="integration_core.menu_integration_dashboard"]', run: "click" },
        { trigger: ".o_kanban_record:contains('Dashboard tour backend') a[name='action_open_business_exceptions']:contains('1')" },
        { trigger: ".o_kanban_record:contains('Dashboard tour backend') a[name='action_open_failed']", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('TOUR-2')" },
        { trigger: ".breadcrumb-item.o_back_button", run: "click" },
        { trigger: ".o_kanban_record:contains('Dashboard tour backend') a[name='action_open_drift']", run: "click" },
        { trigger: ".o_list_view .o_data_cell:contains('C-77 Drifted Ltd')", run: "click" },
        { trigger: ".o_form_view button[name='action_accept']", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Accepted')" },
    ],
});

// Operations cancels an outbound message that cannot be sent, with a reason.
registry.category("web_tour.tours").add("integration_core_outbound_cancel_tour", {
    url: "/odoo/action-integration_core.integration_outbound_action",
    steps: () => [
        { trigger: ".o_data_row:contains('Outbound tour backend') .o_data_cell[name='operation']", run: "click" },
        { trigger: ".o_form_view .alert-danger:contains('The contact has no email')" },
        { trigger: "button[name='action_open_cancel_wizard']", run: "click" },
        { trigger: ".modal .o_field_widget[name='reason'] input", run: "edit Sent to the customer by hand" },
        { trigger: ".modal button[name='action_confirm']", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Ignored')" },
        { trigger: ".o_form_view .alert-danger:contains('Sent to the customer by hand')" },
    ],
});
