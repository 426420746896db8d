"""Settings for the test suite: the real settings with NF_TESTING on."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("NF_TESTING", "1")

from narraforge.settings import *  # noqa: E402,F403

# Tests use their own Redis database (15) so a running `make run` keeps its queues.
_redis = urlsplit(REDIS_URL)  # noqa: F405
REDIS_URL = os.environ.get("NF_TEST_REDIS_URL") or urlunsplit(_redis._replace(path="/15"))
for _queue in RQ_QUEUES.values():  # noqa: F405
    _queue["URL"] = REDIS_URL
