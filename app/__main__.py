"""``python -m app``: serve the dashboard on ``settings.host:settings.port``."""

from app.main import main

if __name__ == "__main__":
    main()
