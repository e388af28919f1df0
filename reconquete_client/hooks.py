"""Install hook: fill every client's figures at once, in SQL batches."""


def post_init_hook(env):
    # Stored figures start empty; computing them here (not as stored computes)
    # keeps a first install on years of orders at a few SQL passes.
    env["reconquete.analysis"]._analyse_all_companies()
    # Clients already slipping away at install are the managers' call (action
    # "Schedule Reconquest"), not thousands of activities overnight: only
    # stages entered from now on schedule activities by themselves.
    scheduler = env["reconquete.scheduler"]
    scheduler._mark_all_served()
    demo_clients = [
        env.ref(f"reconquete_client.demo_client_{code}", raise_if_not_found=False) for code in ("at_risk", "lost")
    ]
    if all(demo_clients):
        # With demo data, show the reconquest of the demo clients as the job would.
        scheduler._schedule_manually(demo_clients[0] | demo_clients[1], env.company)
