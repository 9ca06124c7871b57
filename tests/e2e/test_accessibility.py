"""Automated accessibility checks (axe-core, from the client's pinned npm dev dependencies)
on the main views, on top of the label- and keyboard-driven steps of the other tests."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.support.ports import unique
from tests.support.settings import ROOT

AXE = ROOT / "app" / "web" / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(person) -> list[dict]:
    person.page.add_script_tag(path=str(AXE))
    result = person.page.evaluate(
        """async () => {
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
            }));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_main_views_have_no_serious_accessibility_violations(stack, people):
    assert AXE.exists(), "app/web/node_modules is missing: run `make web`"
    # The checker is injected as a script, which the page's own CSP would rightly refuse.
    visitor = people(stack.front_a.origin, bypass_csp=True)
    visitor.open()
    expect(visitor.page.get_by_role("heading", name="Sign in to Chat")).to_be_visible()
    assert axe_violations(visitor) == []

    alice = people(stack.front_a.origin, bypass_csp=True).sign_up()
    bob = people(stack.front_b.origin).sign_up()
    room = unique("a11y-")
    alice.create_room(room)
    bob.open_room(room)
    bob.send("hello there")
    alice.wait_for_bodies(["hello there"])
    alice.send("hi! how are you?")
    alice.wait_for_bodies(["hello there", "hi! how are you?"])
    assert axe_violations(alice) == []

    # The dark scheme and a phone-sized screen are checked too.
    night = people(
        stack.front_b.origin,
        bypass_csp=True,
        color_scheme="dark",
        viewport={"width": 390, "height": 780},
    ).sign_up()
    night.open_room(room)
    night.wait_for_bodies(["hello there", "hi! how are you?"])
    assert axe_violations(night) == []
