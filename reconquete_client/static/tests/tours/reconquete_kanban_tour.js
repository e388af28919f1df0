import { registry } from "@web/core/registry";

/** A salesperson's day, with Odoo's default Sales rights: the board, the first
 * client to win back, No Answer, the next try, the departure reason.
 * Driven by tests/test_reconquete_tour.py. */
registry.category("web_tour.tours").add("reconquete_kanban_tour", {
    steps: () => [
        {
            content: "Every attrition stage has its column, even when empty",
            trigger: ".o_kanban_group .o_column_title:contains('Won Back')",
        },
        {
            content: "The lost column is folded",
            trigger: ".o_kanban_group.o_column_folded:contains('Lost')",
        },
        {
            content: "The new client sits in New",
            trigger: ".o_kanban_group:has(.o_column_title:contains('New')) .o_kanban_record:contains('Tour Newcomer')",
        },
        {
            content: "The most urgent client comes first in To Win Back: its call is overdue",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('To Win Back')) .o_kanban_record:first:contains('Tour Overdue Call')",
        },
        {
            content: "Take it",
            trigger: ".o_kanban_group:has(.o_column_title:contains('To Win Back')) .o_kanban_record:first",
            run: "click",
        },
        {
            content: "The header tells the stage",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To Win Back')",
        },
        {
            content: "and the form how long the client has been silent",
            trigger: ".o_field_widget[name='silence_days']:contains('60')",
        },
        {
            content: "Nobody answers the call",
            trigger: ".o_form_statusbar button[name='action_no_answer']",
            run: "click",
        },
        {
            content: "Odoo offers to plan the next try: another call",
            trigger: ".modal:contains('Plan the Next Try'):contains('Reconquest Call')",
        },
        {
            content: "Plan it",
            trigger: ".modal footer button.btn-primary",
            run: "click",
        },
        {
            content: "Record why the client left",
            trigger: ".o_form_statusbar button[name='action_record_departure']:not(:disabled)",
            run: "click",
        },
        {
            content: "Price",
            trigger: ".modal .o_field_widget[name='reason_id'] input",
            run: "edit Price",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Price')",
            run: "click",
        },
        {
            content: "Record it",
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "The chatter says who recorded what",
            trigger: ".o-mail-Message:contains('Departure reason recorded by')",
        },
        {
            content: "The call that got no answer is in the history",
            trigger: ".o-mail-Message:contains('No answer')",
        },
    ],
});
