"""Message rows as the contract's message objects: the one query every reader of messages
shares, and their reactions and mentions read for a whole page in one statement."""

from __future__ import annotations

from sqlalchemy import String, bindparam, literal_column, null, or_, select, union_all

from ..models import iso
from .schema import mentions, messages, reactions, uploads, users


def message_query():
    """The columns of a message object; ``message_dict`` reads the first twelve by position.
    ``decorated``: whether the message has a reaction or a mention (two probes of their
    indexes), so that ``decorate`` reads those only for the messages that have any: a page
    without any (most of a chat's history, every join's catch-up in a reconnect storm) costs
    no second statement. Scalar subqueries with a limit, not EXISTS: PostgreSQL may run an
    EXISTS in a select list as a hashed subplan over the whole table (every reaction read
    for each page: 22 ms a page at 10 million messages), never a scalar subquery."""

    def one_of(table):
        probe = select(literal_column("1")).where(table.c.message_id == messages.c.id)
        return probe.limit(1).scalar_subquery()

    decorated = or_(one_of(reactions).is_not(None), one_of(mentions).is_not(None))
    return (
        select(
            messages.c.id,
            messages.c.body,
            messages.c.created_at,
            messages.c.edited_at,
            messages.c.client_id,
            messages.c.attachment_key,
            messages.c.room_id,
            messages.c.seq,
            messages.c.deleted_at,
            messages.c.thread_id,
            messages.c.reply_count,
            messages.c.last_reply_at,
            users.c.username,
            uploads.c.filename,
            uploads.c.content_type,
            uploads.c.size,
            decorated.label("decorated"),
        )
        .join(users, users.c.id == messages.c.user_id)
        .outerjoin(uploads, uploads.c.key == messages.c.attachment_key)
    )


def message_dict(row, room_name: str) -> dict:
    """The contract's message object from a row of ``message_query``, without its reactions
    and mentions (``decorate`` adds them)."""
    (
        mid,
        body,
        created_at,
        edited_at,
        client_id,
        key,
        _room,
        _seq,
        _deleted,
        thread_id,
        replies,
        last_reply,
    ) = row[:12]
    msg = {
        "id": mid,
        "room": room_name,
        "user": row.username,
        "body": body,
        "created_at": iso(created_at),
        "edited_at": iso(edited_at),
        "client_id": client_id,
        "attachment": None,
        **thread_fields(thread_id, replies, last_reply),
        "reactions": [],
        "mentions": [],
    }
    if key:
        msg["attachment"] = {
            "key": key,
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
        }
    return msg


def thread_fields(thread_id: int | None, reply_count: int, last_reply_at) -> dict:
    """A reply names its root; a top-level message counts its replies."""
    if thread_id is not None:
        return {"thread": thread_id}
    return {"thread": None, "reply_count": reply_count, "last_reply_at": iso(last_reply_at)}


REACTION, MENTION = 0, 1


def _decorations_query():
    """The reactions (by message, in the order they were added) and then the mentions (by
    message, in the order of their position in the body) of the messages ``ids`` (bound, a
    list), as rows of (kind, message id, order, emoji or NULL, username): one statement for
    a whole page."""
    ids = bindparam("ids", expanding=True)
    reacted = (
        select(
            literal_column(str(REACTION)).label("kind"),
            reactions.c.message_id.label("message_id"),
            reactions.c.id.label("ord"),
            reactions.c.emoji.label("emoji"),
            users.c.username.label("username"),
        )
        .join(users, users.c.id == reactions.c.user_id)
        .where(reactions.c.message_id.in_(ids))
    )
    mentioned = (
        select(
            literal_column(str(MENTION)),
            mentions.c.message_id,
            mentions.c.position,
            null().cast(String),
            users.c.username,
        )
        .join(users, users.c.id == mentions.c.user_id)
        .where(mentions.c.message_id.in_(ids))
    )
    both = union_all(reacted, mentioned).subquery()
    return select(both).order_by(both.c.kind, both.c.message_id, both.c.ord)


DECORATIONS_QUERY = _decorations_query()  # built once: building it took longer than running it


def decorations_of(conn, message_ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[str]]]:
    """message id -> its reactions (each emoji in the order it was first added, of those
    someone still has, with its users in the order they reacted), and message id -> the
    usernames it mentions (in order of first appearance in its body)."""
    if not message_ids:
        return {}, {}
    by_emoji: dict[int, dict[str, list[str]]] = {}
    by_mentions: dict[int, list[str]] = {}
    for kind, mid, _ord, emoji, username in conn.execute(DECORATIONS_QUERY, {"ids": message_ids}):
        if kind == REACTION:
            by_emoji.setdefault(mid, {}).setdefault(emoji, []).append(username)
        else:
            by_mentions.setdefault(mid, []).append(username)
    by_reactions = {
        mid: [{"emoji": e, "count": len(names), "users": names} for e, names in emojis.items()]
        for mid, emojis in by_emoji.items()
    }
    return by_reactions, by_mentions


def reactions_of(conn, message_ids: list[int]) -> dict[int, list[dict]]:
    """message id -> its reactions, as ``decorations_of`` reads them."""
    return decorations_of(conn, message_ids)[0]


def decorate(conn, msgs: list[dict], rows) -> list[dict]:
    """Add reactions and mentions to message objects made from ``rows`` (of
    ``message_query``, in the same order): one statement for those of a whole page that have
    any, none when none has."""
    by_reactions, by_mentions = decorations_of(
        conn, [m["id"] for m, r in zip(msgs, rows, strict=True) if r.decorated]
    )
    for m in msgs:
        m["reactions"] = by_reactions.get(m["id"], [])
        m["mentions"] = by_mentions.get(m["id"], [])
    return msgs
