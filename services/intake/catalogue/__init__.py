"""Intake's read model of the catalogue: what referrals are checked against, kept while it is unchanged."""
