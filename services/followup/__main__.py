"""python -m services.followup"""

from services.followup.main import create_app
from services.followup.settings import FollowupSettings
from shared.run import run_service

run_service("followup", FollowupSettings, create_app)
