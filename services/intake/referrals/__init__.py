"""Referrals: register a citizen (personal data sealed), read a participant, judge their entry on the first start."""
