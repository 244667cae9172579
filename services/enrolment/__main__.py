"""python -m services.enrolment"""

from services.enrolment.main import create_app
from services.enrolment.settings import EnrolmentSettings
from shared.run import run_service

run_service("enrolment", EnrolmentSettings, create_app)
