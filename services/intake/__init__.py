"""Referral intake: participants' personal data, referrals, consent, the caseworker API and the case timeline."""

SOURCE = "rummelig/intake"  # the CloudEvents source of everything intake publishes
