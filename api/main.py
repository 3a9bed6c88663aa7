"""The app uvicorn imports: settings come from the environment of each worker process."""

from api.app import create_app

app = create_app()
