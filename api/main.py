"""The app uvicorn imports: settings come from the environment of each worker process.

Each worker configures its own logging: a worker started by `--workers N` is a new process,
which inherits none of its parent's configuration.
"""

from api.app import create_app
from api.observability import configure_logging
from api.settings import Settings

settings = Settings()
configure_logging(settings.log_level, json_lines=settings.log_json)
app = create_app(settings)
