"""Private foundations every layer may use: input checks and converters (``validate``), masking of
phone numbers (``privacy``), GSM 03.38 segment arithmetic (``segments``) and the interned shape of a
message (``shape``). Nothing here imports anything of the library's but ``errors``."""
