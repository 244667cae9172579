"""Referral intake: participants' personal data, referrals, consent, the caseworker API and the case timeline."""
