"""Outcome follow-up: deadlines from the leaving date, reminder emails, outcomes upon leaving and at six months.

Where things happen: handlers.py schedules the deadlines when a participant leaves and records outcomes;
reminders.py claims due deadlines and sends the reminder email (mailer.py) and records that it was sent.
"""

SERVICE = "followup"
SOURCE = "rummelig/followup"  # the CloudEvents source of everything follow-up publishes
