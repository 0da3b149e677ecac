"""`python -m services.library`: run the library service until SIGTERM."""

from services.kernel.app import run_service
from services.library.app import start_library
from services.library.settings import LibrarySettings

if __name__ == "__main__":
    run_service(LibrarySettings, start_library)
