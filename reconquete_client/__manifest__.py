{
    "name": "Client Reconquest",
    "summary": "Learn each client's buying rhythm, flag strategic clients and win back the ones falling silent",
    "version": "19.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/reconquete/reconquete_client",
    "author": "Reconquête",
    "license": "LGPL-3",
    "depends": ["sale_management", "contacts"],
    "data": [
        "security/reconquete_security.xml",
        "security/ir.model.access.csv",
        "data/reconquete_stage_data.xml",
        "data/ir_cron_data.xml",
        "views/reconquete_stage_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/reconquete_menus.xml",
    ],
    "demo": [
        "demo/reconquete_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
}
