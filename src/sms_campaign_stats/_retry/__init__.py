"""The retry policy's parts: the whether / when / until-when strategies that ``retry.Retrying``
assembles (public through ``sms_campaign_stats.retry``)."""
