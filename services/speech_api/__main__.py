"""`python -m services.speech_api`."""

from services.kernel.app import run_service
from services.speech_api.app import start_speech_api
from services.speech_api.settings import SpeechApiSettings

if __name__ == "__main__":
    run_service(SpeechApiSettings, start_speech_api)
