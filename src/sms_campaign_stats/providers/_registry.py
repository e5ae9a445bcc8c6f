"""``PROVIDERS``: the built-in providers, one entry per provider module, in the docs' order.

Adding a provider is one module (its parsers, code tables, the source tags it cites and its
``PROVIDER``) and one entry here; ``tests/test_code_tables.py`` checks that every public module of
this package is registered and that the registry matches the modules. To add one of your own
without touching the library: ``PROVIDERS.with_provider(mine)``, then
``TableClassifier(providers=...)`` (see ``docs/providers.md``).
"""

from __future__ import annotations

from sms_campaign_stats.providers import brevo, gsm, infobip, kannel, smpp, twilio, vonage
from sms_campaign_stats.providers._provider import ProviderRegistry

__all__ = ["PROVIDERS"]

#: The built-in providers. Reports of a provider that is not registered are read as SMPP's.
PROVIDERS = ProviderRegistry(
    (
        smpp.PROVIDER,
        gsm.PROVIDER,
        twilio.PROVIDER,
        vonage.PROVIDER,
        infobip.PROVIDER,
        brevo.PROVIDER,
        kannel.PROVIDER,
    ),
    fallback="smpp",
)
