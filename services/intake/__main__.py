"""python -m services.intake"""

from services.intake.main import create_app
from services.intake.settings import IntakeSettings
from shared.run import run_service

run_service("intake", IntakeSettings, create_app)
