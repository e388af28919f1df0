import { registry } from "@web/core/registry";

/** A salesperson opens the board, finds its clients in their stages and
 * opens the reconquest of a client slipping away. Driven by tests/test_reconquete_tour.py. */
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
            content: "The regular client sits in Active",
            trigger: ".o_kanban_group:has(.o_column_title:contains('Active')) .o_kanban_record:contains('Tour Regular')",
        },
        {
            content: "Open the client slipping away, in To Win Back",
            trigger: ".o_kanban_group:has(.o_column_title:contains('To Win Back')) .o_kanban_record:contains('Tour Slipping Away')",
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
    ],
});
