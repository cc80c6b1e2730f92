"""Personal data export (users.requestDataDownload)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ._base import JSONValue, Model
from .users import User


class ExportRoom(Model):
    """One room of ``ExportOperation.room_list``."""

    room_id: str | None = None
    room_name: str | None = None
    user_id: str | None = None
    exported_count: int | None = None
    status: str | None = None
    target_file: str | None = None
    type: str | None = None


class ExportOperation(Model):
    """The export job the server created or already had (§8.8)."""

    id: str = msgspec.field(name="_id")
    user_id: str | None = None
    # pending, exporting, uploading, completed, … (server-extensible).
    status: str | None = None
    full_export: bool | None = None
    room_list: list[ExportRoom] | None = None
    export_path: str | None = None
    assets_path: str | None = None
    file_list: list[dict[str, JSONValue]] | None = None
    generated_file: str | None = None
    user_data: User | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = msgspec.field(default=None, name="_updatedAt")


class DataDownload(Model):
    """users.requestDataDownload: ``requested`` is false when a recent export already exists."""

    requested: bool
    export_operation: ExportOperation | None = None
