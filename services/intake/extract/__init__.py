"""The fund's participant extract: one row per participant who entered or left in a half-year, every row audited."""
