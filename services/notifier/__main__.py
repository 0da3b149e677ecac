"""`python -m services.notifier`: run the notifier service until SIGTERM."""

from services.kernel.app import run_service
from services.notifier.app import start_notifier
from services.notifier.settings import NotifierSettings

if __name__ == "__main__":
    run_service(NotifierSettings, start_notifier)
