"""The suspension policies' parts: metrics, observations, levels and verdicts (``values``) and the
statistics behind them (``sequential``: Wilson bounds, SPRT and CUSUM walks). Public through
``sms_campaign_stats.suspension``."""
