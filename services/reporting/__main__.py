"""python -m services.reporting"""

from services.reporting.main import create_app
from services.reporting.settings import ReportingSettings
from shared.run import run_service

run_service("reporting", ReportingSettings, create_app)
