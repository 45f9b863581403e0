import { registry } from "@web/core/registry";

// A Shopify order with an unknown SKU: Create or map the product from its event, then resubmit.
registry.category("web_tour.tours").add("integration_shopify_create_product_tour", {
    url: "/odoo/action-integration_core.integration_exception_action",
    steps: () => [
        { trigger: ".o_data_row:contains('Order #1001') .o_data_cell[name='error_message']", run: "click" },
        { trigger: ".o_form_view .alert-danger:contains('Product SKU IPOD2008SILVER not found')" },
        { trigger: "button[name='action_shopify_open_product_wizard']", run: "click" },
        { trigger: ".modal .o_field_widget[name='sku']:contains('IPOD2008SILVER')" },
        { trigger: ".modal .o_field_widget[name='mode'] input[data-value='create']:checked" },
        { trigger: ".modal .o_field_widget[name='name'] input", run: "edit iPod Nano 8gb silver" },
        { trigger: ".modal button[name='action_apply']", run: "click" },
        { trigger: "body:not(:has(.modal))" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Pending')" },
        { trigger: "a.nav-link:contains('History')", run: "click" },
        { trigger: ".o_field_widget[name='audit_ids'] .o_data_row:contains('Create or map the product')" },
    ],
});
