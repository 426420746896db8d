"""An upload handler that stops storing a file once it passes the import limit.

Django reads a multipart body before any view code runs (the CSRF check reads
``request.POST``), so a size limit checked in the view would come after a
200 MB upload was already written to a temporary file. This handler sits
first in the request's handlers (set by the view, which is CSRF-exempt only
until it has done so) and stops the upload at the limit: the rest of the
body is read and discarded, nothing of it is kept.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.too_big = False
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > self.limit:
            self.too_big = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
