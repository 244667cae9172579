"""The catalogue: programmes, targets, sub-projects, partner companies and courses, set up by the administrator.

api (routes) calls service (changes, in the caller's transaction) and queries (reads); both keep domain's pure
rules; schemas are what the routes take and answer.
"""
