"""What the property-based conformance suites share: how many examples, and the settings.

hypothesis is imported when a property runs, never when ``sms_campaign_stats.testing`` is
imported: the storage suite needs pytest only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from hypothesis import settings

__all__ = ["PropertySuite"]


class PropertySuite:
    """A base for suites whose tests are hypothesis properties.

    ``max_examples`` (a class attribute a subclass may change) is the number of examples each
    property tries: modest, because a suite runs once per subclass. Other settings come from the
    hypothesis profile loaded (a CI profile may derandomize).
    """

    max_examples: ClassVar[int] = 30

    def hypothesis_settings(self) -> settings:
        """The settings of every property: ``max_examples`` examples, no deadline (the first
        call of a rule may fill caches)."""
        from hypothesis import settings

        return settings(max_examples=self.max_examples, deadline=None)
