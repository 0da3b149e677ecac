"""`python -m services.summarizer`: run the summarizer service until SIGTERM."""

from services.kernel.app import run_service
from services.summarizer.app import start_summarizer
from services.summarizer.settings import SummarizerSettings

if __name__ == "__main__":
    run_service(SummarizerSettings, start_summarizer)
