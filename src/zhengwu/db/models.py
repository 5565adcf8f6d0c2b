"""Import every model module so that ``Base.metadata`` knows every table (for Alembic)."""

from __future__ import annotations

from zhengwu.accounts import models as accounts_models
from zhengwu.auth import models as auth_models
from zhengwu.db.base import Base
from zhengwu.ingest import models as ingest_models
from zhengwu.regions import models as regions_models

__all__ = ["Base", "accounts_models", "auth_models", "ingest_models", "regions_models"]
