"""`python -m services.transcriber`: run the transcriber service until SIGTERM."""

from services.kernel.app import run_service
from services.transcriber.app import start_transcriber
from services.transcriber.settings import TranscriberSettings

if __name__ == "__main__":
    run_service(TranscriberSettings, start_transcriber)
