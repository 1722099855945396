from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """Return axe's violations of the given impacts as readable lines."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if impacts is None or v["impact"] in impacts
    ]
