"""A person using the chat in a browser: every step goes through what they would see and
press (labels, roles, the keyboard), so the tests also check that those exist."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.support.client import PASSWORD

TIMEOUT_MS = 15_000

# Confirmed messages of the open room as the page shows them, top to bottom.
_READ = """[...document.querySelectorAll('ol.messages:not(.pending-list) > li.message')].map(
  (li) => ({
    id: Number(li.dataset.id),
    user: li.dataset.user,
    body: li.querySelector('.body') ? li.querySelector('.body').textContent : null,
  }))"""
_READ_MESSAGES = f"() => {_READ}"


class Person:
    def __init__(self, browser: Browser, origin: str, name: str, **context_args) -> None:
        self.name = name
        self.origin = origin
        self.room: str | None = None
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        args = {"viewport": {"width": 1280, "height": 800}, "accept_downloads": True}
        args.update(context_args)
        self.context = browser.new_context(**args)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page: Page = self.context.new_page()
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()

    # ------------------------------------------------------------------ account
    def open(self) -> None:
        self.page.goto(self.origin + "/")

    def sign_up(self) -> Person:
        self.open()
        self.page.get_by_role("button", name="Create an account").click()
        self.page.get_by_label("Username").fill(self.name)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Create account").click()
        self.expect_signed_in()
        return self

    def sign_in(self, password: str = PASSWORD) -> None:
        self.open()
        self.page.get_by_label("Username").fill(self.name)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def expect_signed_in(self) -> None:
        expect(self.page.get_by_label(f"Signed in as {self.name}")).to_be_visible()
        expect(self.page.locator(".shell[data-connection=connected]")).to_have_count(1)

    # ------------------------------------------------------------------ rooms
    def room_link(self, room: str):
        return self.page.locator(f'a.room-link[data-room="{room}"]')

    def create_room(self, room: str, private: bool = False) -> None:
        self.page.get_by_text("New room").click()
        self.page.get_by_label("Room name").fill(room)
        if private:
            self.page.get_by_label("Private (only people you add)").check()
        self.page.get_by_role("button", name="Create room").click()
        self.room = room
        self.expect_in_room(room)

    def open_room(self, room: str) -> None:
        link = self.room_link(room)
        if link.count() == 0:
            # Rooms created since the list was last fetched show up when the window regains
            # focus, as they would for a person switching back to the tab.
            self.page.evaluate("window.dispatchEvent(new Event('focus'))")
        if (self.page.viewport_size or {}).get("width", 1280) <= 720:
            # On a phone the room list is a drawer behind the menu button.
            self.page.get_by_role("button", name="Show rooms").locator("visible=true").click()
        link.click()
        self.room = room
        self.expect_in_room(room)

    def expect_in_room(self, room: str) -> None:
        expect(self.page.get_by_role("heading", name=room, exact=True, level=1)).to_be_visible()
        expect(self.page.locator("main.room-view[data-state=joined]")).to_have_count(1)

    def composer(self):
        return self.page.get_by_label(f"Message #{self.room}", exact=True)

    def send(self, text: str) -> None:
        box = self.composer()
        box.fill(text)
        box.press("Enter")

    # ------------------------------------------------------------------ reading
    def messages(self) -> list[dict]:
        return self.page.evaluate(_READ_MESSAGES)

    def bodies(self) -> list[str]:
        return [m["body"] for m in self.messages()]

    def wait_for_bodies(self, bodies: list[str], timeout_ms: int = TIMEOUT_MS) -> None:
        """Waits until the confirmed messages end with exactly these bodies, in this order."""
        self.page.wait_for_function(
            f"""(expected) => {{
                const seen = {_READ}.map((m) => m.body);
                const tail = seen.slice(-expected.length);
                return tail.length === expected.length && tail.every((b, i) => b === expected[i]);
            }}""",
            arg=bodies,
            timeout=timeout_ms,
        )

    def pending(self):
        return self.page.locator("ol.pending-list > li.message")

    def unread_badge(self, room: str):
        return self.room_link(room).locator(".badge")
