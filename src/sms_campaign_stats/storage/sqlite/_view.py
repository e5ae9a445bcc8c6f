"""What one connection last read or wrote, answered again while no other connection commits.

The engine reads the same few rows around every event (the message, its campaign, the
campaign's suspension evidence) and then writes them: each read was a statement, a row decoded
and a Python round trip into sqlite3. A ``View`` keeps, per connection, the values this
connection read or committed, and is emptied as soon as another connection (a thread, a process,
another store on the same file) has committed anything: ``PRAGMA data_version`` tells, one cheap
statement that starts no transaction of its own beyond its read, and it does not change for the
connection's own commits (SQLite's documented contract). So a value from a view is always the
committed one at the moment of the check, as the statement it replaces would have read it.

The connection's own writes keep the view exact: ``SQLiteStorage.commit`` replaces what it wrote
(messages and campaigns as stored, evidence with the change's deltas added) once the COMMIT has
succeeded; any other write transaction (``forget``, ``add_messages``, ``take_orphans``), and any
write that fails, empties it.

Provider ids are kept apart, for the whole store: a provider id, once recorded, belongs to its
message forever (rows of ``provider_ids`` are never updated or deleted), so what was read or
committed of them stays true whatever other connections do.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sms_campaign_stats.model import Campaign, Message
    from sms_campaign_stats.storage._change import Evidence

__all__ = ["CACHED_CAMPAIGNS", "CACHED_MESSAGES", "CACHED_PROVIDER_IDS", "ProviderIds", "View"]

#: At most this many messages per connection, the least recently read or written dropped first.
#: A message read back holds about 1 KB (its attempts, instants, lists): up to ~16 MB per
#: connection. The engine reads a message when it is due, again when it is submitted, and by its
#: provider id when its receipt comes, often hours and thousands of other messages later: the
#: demo's 10,000 recipients with 4,096 here read 18,000 messages back from the file (a statement
#: and a decoding each, ~0.4 s of its ~6.5 s), none with 16,384. A campaign larger than this
#: reads back what it evicted, as before.
CACHED_MESSAGES = 16384
#: At most this many campaigns, and as many campaigns' evidence, per connection.
CACHED_CAMPAIGNS = 256
#: At most this many provider ids per store.
CACHED_PROVIDER_IDS = 16384


class View:
    """A connection's values, valid while ``PRAGMA data_version`` answers ``data_version``."""

    __slots__ = ("campaigns", "data_version", "evidence", "messages", "orphans_empty")

    def __init__(self) -> None:
        self.data_version: int | None = None
        self.messages: OrderedDict[str, Message] = OrderedDict()
        self.campaigns: dict[str, Campaign] = {}
        self.evidence: dict[str, Evidence] = {}
        #: Whether the orphans table is empty (None: not known).
        self.orphans_empty: bool | None = None

    def clear(self) -> None:
        """Forget everything (another connection committed, or a write that is not kept)."""
        self.messages = OrderedDict()
        self.campaigns = {}
        self.evidence = {}
        self.orphans_empty = None

    def message(self, message_id: str) -> Message | None:
        """The message, if the view has it (then the most recently used)."""
        found = self.messages.get(message_id)
        if found is not None:
            self.messages.move_to_end(message_id)
        return found

    def keep_message(self, message: Message) -> None:
        """A message as stored."""
        messages = self.messages
        messages[message.id] = message
        messages.move_to_end(message.id)
        if len(messages) > CACHED_MESSAGES:
            messages.popitem(last=False)

    def keep_campaign(self, campaign: Campaign) -> None:
        """A campaign as stored."""
        if len(self.campaigns) >= CACHED_CAMPAIGNS and campaign.id not in self.campaigns:
            self.campaigns.clear()
        self.campaigns[campaign.id] = campaign

    def keep_evidence(self, evidence: Evidence) -> None:
        """A campaign's evidence as stored."""
        if len(self.evidence) >= CACHED_CAMPAIGNS and evidence.campaign_id not in self.evidence:
            self.evidence.clear()
        self.evidence[evidence.campaign_id] = evidence


class ProviderIds(dict[str, str]):
    """Provider id -> the id of the message it belongs to, as recorded (committed) in one store."""

    __slots__ = ()

    def keep(self, provider_message_id: str, message_id: str) -> None:
        """A recorded provider id's message."""
        if len(self) >= CACHED_PROVIDER_IDS and provider_message_id not in self:
            self.clear()
        self[provider_message_id] = message_id
