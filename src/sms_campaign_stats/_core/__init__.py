"""Private foundations every layer may use: input checks and converters (``validate``), masking of
phone numbers (``privacy``), GSM 03.38 segment arithmetic (``segments``), the interned shape of a
message (``shape``) and defaults that print as their names (``defaults``). Nothing here imports
anything of the library's but ``errors``."""
