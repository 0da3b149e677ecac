"""`python -m services.renderer`: run the renderer service until SIGTERM."""

from services.kernel.app import run_service
from services.renderer.app import start_renderer
from services.renderer.settings import RendererSettings

if __name__ == "__main__":
    run_service(RendererSettings, start_renderer)
