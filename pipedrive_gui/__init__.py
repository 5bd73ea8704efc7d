"""Pipedrive Mapper: design how Segment events become Pipedrive records."""

__version__ = "0.1.0"
APP_NAME = "Pipedrive Mapper"
APP_ID = "pipedrive-gui"
